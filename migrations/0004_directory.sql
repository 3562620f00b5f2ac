CREATE TABLE `contact` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant_id` integer NOT NULL,
	`name` text NOT NULL,
	`company` text,
	`owner_employee_id` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenant`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`owner_employee_id`) REFERENCES `employee`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `contact_tenant_name` ON `contact` (`tenant_id`,`name`);--> statement-breakpoint
CREATE TABLE `contact_number` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant_id` integer NOT NULL,
	`contact_id` integer NOT NULL,
	`number` text NOT NULL,
	FOREIGN KEY (`contact_id`) REFERENCES `contact`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `contact_number_lookup` ON `contact_number` (`tenant_id`,`number`);--> statement-breakpoint
CREATE INDEX `contact_number_contact` ON `contact_number` (`contact_id`);--> statement-breakpoint
CREATE TABLE `department` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant_id` integer NOT NULL,
	`name` text NOT NULL,
	`parent_id` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenant`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`parent_id`) REFERENCES `department`(`id`) ON UPDATE no action ON DELETE restrict
);
--> statement-breakpoint
CREATE UNIQUE INDEX `department_tenant_parent_name` ON `department` (`tenant_id`,`parent_id`,`name`);--> statement-breakpoint
CREATE TABLE `employee` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant_id` integer NOT NULL,
	`employee_no` text NOT NULL,
	`name` text NOT NULL,
	`department_id` integer,
	`mobile` text,
	`title` text,
	`active` integer DEFAULT true NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenant`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`department_id`) REFERENCES `department`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `employee_tenant_no` ON `employee` (`tenant_id`,`employee_no`);--> statement-breakpoint
CREATE INDEX `employee_tenant_name` ON `employee` (`tenant_id`,`name`);--> statement-breakpoint
CREATE INDEX `employee_department` ON `employee` (`department_id`);--> statement-breakpoint
ALTER TABLE `call` ADD `caller_department` text;--> statement-breakpoint
ALTER TABLE `call` ADD `callee_department` text;--> statement-breakpoint
ALTER TABLE `call` ADD `callee_kind` text;--> statement-breakpoint
ALTER TABLE `extension` ADD `kind` text DEFAULT 'function' NOT NULL;--> statement-breakpoint
ALTER TABLE `extension` ADD `employee_id` integer REFERENCES employee(id);--> statement-breakpoint
CREATE UNIQUE INDEX `extension_employee` ON `extension` (`employee_id`);