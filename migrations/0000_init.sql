CREATE TABLE `api_token` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`token_hash` text NOT NULL,
	`scopes` text NOT NULL,
	`tenant_id` integer,
	`created_at` integer NOT NULL,
	`last_used_at` integer,
	`revoked_at` integer,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenant`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_token_token_hash_unique` ON `api_token` (`token_hash`);--> statement-breakpoint
CREATE TABLE `audit_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer NOT NULL,
	`actor` text NOT NULL,
	`action` text NOT NULL,
	`target` text NOT NULL,
	`tenant_id` integer,
	`detail` text
);
--> statement-breakpoint
CREATE INDEX `audit_log_at` ON `audit_log` (`at`);--> statement-breakpoint
CREATE TABLE `blocked_source` (
	`address` text PRIMARY KEY NOT NULL,
	`blocked_at` integer NOT NULL,
	`until` integer NOT NULL,
	`failures` integer NOT NULL,
	`reason` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `extension` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant_id` integer NOT NULL,
	`number` text NOT NULL,
	`display_name` text,
	`sip_password` text NOT NULL,
	`max_terminals` integer DEFAULT 3 NOT NULL,
	`ring_strategy` text DEFAULT 'simultaneous' NOT NULL,
	`ring_timeout_s` integer DEFAULT 20 NOT NULL,
	`max_concurrent_calls` integer DEFAULT 2 NOT NULL,
	`voicemail_enabled` integer DEFAULT true NOT NULL,
	`config_managed` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenant`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `extension_tenant_number` ON `extension` (`tenant_id`,`number`);--> statement-breakpoint
CREATE TABLE `registration` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant_id` integer NOT NULL,
	`extension_id` integer NOT NULL,
	`contact` text NOT NULL,
	`call_id` text NOT NULL,
	`cseq` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`registered_at` integer NOT NULL,
	`source_transport` text NOT NULL,
	`source_address` text NOT NULL,
	`source_port` integer NOT NULL,
	`natted` integer DEFAULT false NOT NULL,
	`user_agent` text,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenant`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`extension_id`) REFERENCES `extension`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `registration_extension_contact` ON `registration` (`extension_id`,`contact`);--> statement-breakpoint
CREATE INDEX `registration_tenant` ON `registration` (`tenant_id`);--> statement-breakpoint
CREATE TABLE `tenant` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`sip_domain` text,
	`is_default` integer DEFAULT false NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`config_managed` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `tenant_name_unique` ON `tenant` (`name`);--> statement-breakpoint
CREATE UNIQUE INDEX `tenant_sip_domain_unique` ON `tenant` (`sip_domain`);--> statement-breakpoint
CREATE UNIQUE INDEX `tenant_one_default` ON `tenant` (`is_default`) WHERE "tenant"."is_default" = 1;