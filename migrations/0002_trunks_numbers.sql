CREATE TABLE `did_number` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant_id` integer NOT NULL,
	`number` text NOT NULL,
	`mode` text NOT NULL,
	`is_main` integer DEFAULT false NOT NULL,
	`trunk_id` integer,
	`max_calls` integer DEFAULT 0 NOT NULL,
	`greeting` text,
	`block_action` text DEFAULT 'busy' NOT NULL,
	`ring_strategy` text DEFAULT 'sequential' NOT NULL,
	`ring_timeout_s` integer DEFAULT 20 NOT NULL,
	`config_managed` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenant`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`trunk_id`) REFERENCES `trunk`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `did_number_number_unique` ON `did_number` (`number`);--> statement-breakpoint
CREATE INDEX `did_number_tenant` ON `did_number` (`tenant_id`);--> statement-breakpoint
CREATE TABLE `extension_call_rule` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant_id` integer NOT NULL,
	`extension_id` integer NOT NULL,
	`scope` text NOT NULL,
	`action` text NOT NULL,
	`pattern` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenant`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`extension_id`) REFERENCES `extension`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `extension_call_rule_extension` ON `extension_call_rule` (`extension_id`);--> statement-breakpoint
CREATE TABLE `number_block` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant_id` integer NOT NULL,
	`number_id` integer NOT NULL,
	`pattern` text NOT NULL,
	`match` text NOT NULL,
	`note` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenant`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`number_id`) REFERENCES `did_number`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `number_block_unique` ON `number_block` (`number_id`,`pattern`,`match`);--> statement-breakpoint
CREATE TABLE `terminal` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant_id` integer NOT NULL,
	`owner_extension_id` integer,
	`owner_number_id` integer,
	`kind` text NOT NULL,
	`pstn_number` text,
	`device_extension_id` integer,
	`position` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenant`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`owner_extension_id`) REFERENCES `extension`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`owner_number_id`) REFERENCES `did_number`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`device_extension_id`) REFERENCES `extension`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `terminal_owner_extension` ON `terminal` (`owner_extension_id`);--> statement-breakpoint
CREATE INDEX `terminal_owner_number` ON `terminal` (`owner_number_id`);--> statement-breakpoint
CREATE INDEX `terminal_device` ON `terminal` (`device_extension_id`);--> statement-breakpoint
CREATE TABLE `trunk` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`kind` text NOT NULL,
	`tenant_id` integer,
	`host` text NOT NULL,
	`port` integer DEFAULT 5060 NOT NULL,
	`transport` text DEFAULT 'udp' NOT NULL,
	`register` integer DEFAULT false NOT NULL,
	`register_expires_s` integer DEFAULT 3600 NOT NULL,
	`username` text,
	`password` text,
	`inbound_auth` text DEFAULT 'ip' NOT NULL,
	`inbound_username` text,
	`inbound_password` text,
	`addresses` text DEFAULT '[]' NOT NULL,
	`max_calls` integer DEFAULT 0 NOT NULL,
	`codecs` text,
	`called_format` text DEFAULT 'national' NOT NULL,
	`caller_id_format` text DEFAULT 'national' NOT NULL,
	`caller_id_header` text DEFAULT 'both' NOT NULL,
	`diversion` integer DEFAULT false NOT NULL,
	`rewrite` text DEFAULT '[]' NOT NULL,
	`priority` integer DEFAULT 100 NOT NULL,
	`country_code` text DEFAULT '86' NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`config_managed` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenant`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `trunk_name_unique` ON `trunk` (`name`);--> statement-breakpoint
ALTER TABLE `call_leg` ADD `forwarded` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `call_leg` ADD `trunk_id` integer;--> statement-breakpoint
ALTER TABLE `tenant` ADD `settings` text DEFAULT '{}' NOT NULL;