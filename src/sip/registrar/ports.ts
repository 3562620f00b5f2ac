// What the registrar needs from the rest of the PBX. The registrar knows domains and users,
// not tenants' business rules: the composition root (src/server.ts) plugs the directory
// and the database in behind these interfaces.
import type { Peer } from '../message.ts';

/** A SIP account: one extension of one tenant, as the registrar sees it. */
export interface Account {
  tenantId: number;
  extensionId: number;
  user: string; // the extension number
  realm: string; // digest realm of the tenant
  password: string;
  maxContacts: number; // the extension's terminal limit, 1..3
  /** Set when the credentials are a trunk's (a tenant PBX authenticating the calls it sends). */
  trunkId?: number;
}

export interface AccountSource {
  /** The account for a user in a domain (the default tenant accepts any domain); undefined if none. */
  find(domain: string, user: string): Account | undefined;
  /** The realm to challenge with for a domain, so unknown users get the same challenge as known ones. */
  realmFor(domain: string): string;
}

/** One registered contact of an extension. */
export interface Binding {
  tenantId: number;
  extensionId: number;
  user: string;
  contact: string; // the Contact URI as registered
  callId: string;
  cseq: number;
  expiresAt: number; // ms since epoch
  registeredAt: number; // ms since epoch
  source: Peer; // where the REGISTER came from (the address to reach a NATed phone)
  natted: boolean; // source differs from the Contact's host/port
  userAgent?: string;
}

/** Persistence of bindings (write-through; the registrar's in-memory index is the authority at run time). */
export interface BindingStore {
  loadAll(): Binding[];
  upsert(binding: Binding): void;
  remove(extensionId: number, contact: string): void;
  /**
   * Runs `fn` once every change made so far is committed (at once when none is pending), so
   * the registrar answers 200 only for what a crash cannot lose. Stores that write
   * synchronously need not implement it.
   */
  afterCommit?(fn: () => void): void;
}

/** A source address blocked for repeated authentication failures. */
export interface BlockedSource {
  address: string;
  blockedAt: number; // ms since epoch
  until: number; // ms since epoch
  failures: number;
  reason: string;
}

export interface BlockStore {
  loadAll(): BlockedSource[];
  upsert(block: BlockedSource): void;
  remove(address: string): void;
}
