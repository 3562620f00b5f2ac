// Admin API tokens. Only the SHA-256 of a token is stored; the token is shown once at creation.
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { tenant } from '../tenancy/schema.ts';

export const apiToken = sqliteTable('api_token', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  name: text('name').notNull(),
  tokenHash: text('token_hash').notNull().unique(), // hex sha256 of the full token
  scopes: text('scopes').notNull(), // space-separated, e.g. "admin" or "read"
  tenantId: integer('tenant_id').references(() => tenant.id, { onDelete: 'cascade' }), // null: platform-wide
  createdAt: integer('created_at').notNull(),
  lastUsedAt: integer('last_used_at'),
  revokedAt: integer('revoked_at'),
});

export type ApiTokenRow = typeof apiToken.$inferSelect;
