// Numbers (DIDs) a tenant owns, each in one of the three modes of SPEC.md (switchboard, direct
// line, SIP-trunk hand-off), and the caller blacklist of each number (R-BASIC-2).
import { integer, sqliteTable, text, uniqueIndex, index } from 'drizzle-orm/sqlite-core';
import { tenant } from '../tenancy/schema.ts';
import { trunk } from '../trunks/schema.ts';

export const NUMBER_MODES = ['switchboard', 'direct', 'sipTrunk'] as const;
/** What a blacklisted caller gets: 486 Busy, an announcement then hang-up, or no answer at all. */
export const BLOCK_ACTIONS = ['busy', 'announcement', 'drop'] as const;

export const didNumber = sqliteTable(
  'did_number',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tenantId: integer('tenant_id')
      .notNull()
      .references(() => tenant.id, { onDelete: 'cascade' }),
    /** E.164 with '+': +861088886666. */
    number: text('number').notNull().unique(),
    mode: text('mode', { enum: NUMBER_MODES }).notNull(),
    /** The tenant's main number: what outbound calls from its extensions show. */
    isMain: integer('is_main', { mode: 'boolean' }).notNull().default(false),
    /** sipTrunk mode: the tenant's PBX trunk every call goes to. */
    trunkId: integer('trunk_id').references(() => trunk.id, { onDelete: 'set null' }),
    /** sipTrunk mode: purchased concurrent calls (0 = no limit). */
    maxCalls: integer('max_calls').notNull().default(0),
    /** A tenant-uploaded WAV greeting (path), or null for the default prompt. */
    greeting: text('greeting'),
    blockAction: text('block_action', { enum: BLOCK_ACTIONS }).notNull().default('busy'),
    /** direct mode: how the number's terminals ring. */
    ringStrategy: text('ring_strategy', { enum: ['sequential', 'simultaneous'] }).notNull().default('sequential'),
    ringTimeoutS: integer('ring_timeout_s').notNull().default(20),
    configManaged: integer('config_managed', { mode: 'boolean' }).notNull().default(false),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('did_number_tenant').on(t.tenantId)],
);

export const numberBlock = sqliteTable(
  'number_block',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tenantId: integer('tenant_id')
      .notNull()
      .references(() => tenant.id, { onDelete: 'cascade' }),
    numberId: integer('number_id')
      .notNull()
      .references(() => didNumber.id, { onDelete: 'cascade' }),
    /** Digits as the caller's number is normalised (national form: 13812345678, 075512345678). */
    pattern: text('pattern').notNull(),
    match: text('match', { enum: ['exact', 'prefix'] }).notNull(),
    note: text('note'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [uniqueIndex('number_block_unique').on(t.numberId, t.pattern, t.match)],
);

export type DidNumberRow = typeof didNumber.$inferSelect;
export type NumberBlockRow = typeof numberBlock.$inferSelect;
