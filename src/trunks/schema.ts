// Trunks: the SIP peers that are not phones (ARCHITECTURE.md "Domain model"). A carrier brings
// the public network (shared by every tenant, tenant_id null); a gateway (an IAD with FXO ports)
// or a tenant's own PBX belongs to one tenant. How we reach a trunk (host, transport, outbound
// REGISTER, the credentials we answer its challenges with) is kept apart from how we recognise
// calls it sends us (its source address, or digest credentials it presents to us).
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { tenant } from '../tenancy/schema.ts';

export const TRUNK_KINDS = ['carrier', 'gateway', 'pbx'] as const;
export const TRUNK_TRANSPORTS = ['udp', 'tcp', 'tls'] as const;
/** How a number is written toward the trunk (routing/numbers/format-for-trunk.ts). */
export const TRUNK_NUMBER_FORMATS = ['e164', 'national', 'international00'] as const;
/** Where the presented number goes: From, P-Asserted-Identity, or both. */
export const CALLER_ID_HEADERS = ['from', 'pai', 'both'] as const;
export const INBOUND_AUTH = ['ip', 'digest'] as const;

export const trunk = sqliteTable('trunk', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  name: text('name').notNull().unique(),
  kind: text('kind', { enum: TRUNK_KINDS }).notNull(),
  /** The owning tenant of a gateway or a tenant PBX; null for carriers (shared). */
  tenantId: integer('tenant_id').references(() => tenant.id, { onDelete: 'cascade' }),
  host: text('host').notNull(),
  port: integer('port').notNull().default(5060),
  transport: text('transport', { enum: TRUNK_TRANSPORTS }).notNull().default('udp'),
  /** Outbound REGISTER to the trunk (carriers that want it). */
  register: integer('register', { mode: 'boolean' }).notNull().default(false),
  registerExpiresS: integer('register_expires_s').notNull().default(3600),
  /** Credentials we present (REGISTER, and INVITEs the trunk challenges). */
  username: text('username'),
  password: text('password'),
  /** How calls from the trunk are recognised: its source address, or digest credentials below. */
  inboundAuth: text('inbound_auth', { enum: INBOUND_AUTH }).notNull().default('ip'),
  inboundUsername: text('inbound_username'),
  inboundPassword: text('inbound_password'),
  /** JSON array of further source addresses accepted for `ip` (the host's own address always is). */
  addresses: text('addresses').notNull().default('[]'),
  /** Concurrent calls through the trunk, both directions (0 = no limit). */
  maxCalls: integer('max_calls').notNull().default(0),
  /** JSON array of codec names, or null for the server's calls.codecs. */
  codecs: text('codecs'),
  calledFormat: text('called_format', { enum: TRUNK_NUMBER_FORMATS }).notNull().default('national'),
  callerIdFormat: text('caller_id_format', { enum: TRUNK_NUMBER_FORMATS }).notNull().default('national'),
  callerIdHeader: text('caller_id_header', { enum: CALLER_ID_HEADERS }).notNull().default('both'),
  /** Send a Diversion header (RFC 5806) on forwarded calls. */
  diversion: integer('diversion', { mode: 'boolean' }).notNull().default(false),
  /** JSON array of { match: regex, replace } applied in order to the called number after formatting. */
  rewrite: text('rewrite').notNull().default('[]'),
  /** Order in the outbound failover list (lower first) when a tenant names no list of its own. */
  priority: integer('priority').notNull().default(100),
  /** Country whose numbering plan the trunk's numbers follow (a calling code: 86). */
  countryCode: text('country_code').notNull().default('86'),
  enabled: integer('enabled', { mode: 'boolean' }).notNull().default(true),
  configManaged: integer('config_managed', { mode: 'boolean' }).notNull().default(false),
  createdAt: integer('created_at').notNull(),
});

export type TrunkRow = typeof trunk.$inferSelect;
