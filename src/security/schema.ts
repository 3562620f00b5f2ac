// Sources blocked after repeated authentication failures.
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

export const blockedSource = sqliteTable('blocked_source', {
  address: text('address').primaryKey(),
  blockedAt: integer('blocked_at').notNull(), // ms since epoch
  until: integer('until').notNull(),
  failures: integer('failures').notNull(),
  reason: text('reason').notNull(),
});
