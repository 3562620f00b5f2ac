CREATE TABLE `outbox` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant_id` integer,
	`channel` text NOT NULL,
	`purpose` text NOT NULL,
	`recipient` text NOT NULL,
	`body` text NOT NULL,
	`format` text,
	`status` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`last_error` text,
	`dedupe_key` text,
	`call_id` text,
	`created_at` integer NOT NULL,
	`sent_at` integer,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenant`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `outbox_due` ON `outbox` (`next_attempt_at`) WHERE "outbox"."status" = 'pending';--> statement-breakpoint
CREATE INDEX `outbox_tenant_recipient` ON `outbox` (`tenant_id`,`purpose`,`recipient`,`created_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `outbox_dedupe` ON `outbox` (`dedupe_key`);--> statement-breakpoint
CREATE TABLE `voicemail_message` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant_id` integer NOT NULL,
	`extension_id` integer,
	`caller_number` text NOT NULL,
	`caller_name` text,
	`call_id` text,
	`path` text NOT NULL,
	`received_at` integer NOT NULL,
	`duration_s` real DEFAULT 0 NOT NULL,
	`status` text DEFAULT 'new' NOT NULL,
	`heard_at` integer,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenant`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`extension_id`) REFERENCES `extension`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `voicemail_box` ON `voicemail_message` (`tenant_id`,`extension_id`,`received_at`) WHERE "voicemail_message"."status" != 'deleted';--> statement-breakpoint
ALTER TABLE `extension` ADD `voicemail_pin` text;--> statement-breakpoint
ALTER TABLE `extension` ADD `voicemail_greeting` text;