DROP INDEX `contact_tenant_name`;--> statement-breakpoint
CREATE INDEX `contact_tenant_name_nocase` ON `contact` (`tenant_id`,"name" COLLATE NOCASE);--> statement-breakpoint
DROP INDEX `employee_tenant_name`;--> statement-breakpoint
CREATE INDEX `employee_tenant_name_nocase` ON `employee` (`tenant_id`,"name" COLLATE NOCASE);