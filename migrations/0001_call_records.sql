CREATE TABLE `call` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` integer NOT NULL,
	`direction` text NOT NULL,
	`caller_number` text NOT NULL,
	`caller_extension_id` integer,
	`caller_name` text,
	`callee_number` text NOT NULL,
	`callee_extension_id` integer,
	`callee_name` text,
	`sip_call_id` text,
	`started_at` integer NOT NULL,
	`answered_at` integer,
	`ended_at` integer,
	`duration_s` integer,
	`billable_s` integer,
	`disposition` text,
	`hangup_by` text,
	`sip_code` integer,
	`reason` text,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenant`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `call_tenant_started` ON `call` (`tenant_id`,`started_at`);--> statement-breakpoint
CREATE INDEX `call_started` ON `call` (`started_at`);--> statement-breakpoint
CREATE INDEX `call_tenant_caller_number` ON `call` (`tenant_id`,`caller_number`,`started_at`);--> statement-breakpoint
CREATE INDEX `call_tenant_callee_number` ON `call` (`tenant_id`,`callee_number`,`started_at`);--> statement-breakpoint
CREATE INDEX `call_open` ON `call` (`id`) WHERE "call"."ended_at" IS NULL;--> statement-breakpoint
CREATE TABLE `call_leg` (
	`id` text PRIMARY KEY NOT NULL,
	`call_id` text NOT NULL,
	`tenant_id` integer NOT NULL,
	`direction` text NOT NULL,
	`number` text NOT NULL,
	`extension_id` integer,
	`name` text,
	`target` text NOT NULL,
	`started_at` integer NOT NULL,
	`answered_at` integer,
	`ended_at` integer,
	`disposition` text,
	`hangup_by` text,
	`sip_code` integer,
	`reason` text,
	FOREIGN KEY (`call_id`) REFERENCES `call`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `call_leg_call` ON `call_leg` (`call_id`);--> statement-breakpoint
CREATE INDEX `call_leg_tenant_number` ON `call_leg` (`tenant_id`,`number`);--> statement-breakpoint
CREATE INDEX `call_leg_open` ON `call_leg` (`id`) WHERE "call_leg"."ended_at" IS NULL;--> statement-breakpoint
CREATE TABLE `recording` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`call_id` text NOT NULL,
	`tenant_id` integer NOT NULL,
	`path` text NOT NULL,
	`started_at` integer NOT NULL,
	`finished_at` integer,
	`seconds` real,
	`bytes` integer,
	`status` text DEFAULT 'recording' NOT NULL,
	`deleted_at` integer,
	`error` text,
	FOREIGN KEY (`call_id`) REFERENCES `call`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `recording_call` ON `recording` (`call_id`);--> statement-breakpoint
CREATE INDEX `recording_tenant_started` ON `recording` (`tenant_id`,`started_at`);--> statement-breakpoint
CREATE INDEX `recording_kept` ON `recording` (`tenant_id`,`started_at`) WHERE "recording"."deleted_at" IS NULL;--> statement-breakpoint
CREATE INDEX `recording_in_progress` ON `recording` (`id`) WHERE "recording"."status" = 'recording';--> statement-breakpoint
ALTER TABLE `tenant` ADD `recording_enabled` integer DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE `tenant` ADD `recording_retention_days` integer DEFAULT 183 NOT NULL;