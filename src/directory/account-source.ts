// The registrar's view of the directory (AccountSource): a SIP domain selects the tenant that
// owns it, any other domain falls to the default tenant; the user part is the extension number.
// The extension lookup is a prepared statement on a unique index, so password changes made by
// the CLI or API take effect on the next request. The tenant of a domain is asked several
// times per REGISTER and changes rarely: it is cached for a second (a new tenant or domain
// takes effect within a second).
import type Database from 'better-sqlite3';
import type { PbxDb } from '../db/open.ts';
import type { Account, AccountSource } from '../sip/registrar/ports.ts';

interface TenantHit {
  id: number;
  sip_domain: string | null;
  status: string;
}

const TENANT_CACHE_MS = 1000;
const TENANT_CACHE_MAX = 10_000;

export class DirectoryAccountSource implements AccountSource {
  private readonly byDomain: Database.Statement<[string], TenantHit>;
  private readonly defaultTenant: Database.Statement<[], TenantHit>;
  private readonly account: Database.Statement<[number, string], { id: number; sip_password: string; max_terminals: number }>;

  private readonly tenantCache = new Map<string, { hit: TenantHit | undefined; until: number }>();

  /** `defaultRealm` (config sip.auth.realm) is the realm of tenants without a SIP domain. */
  constructor(
    db: PbxDb,
    private readonly defaultRealm: string,
    private readonly now: () => number = Date.now,
  ) {
    this.byDomain = db.sqlite.prepare('SELECT id, sip_domain, status FROM tenant WHERE sip_domain = ?');
    this.defaultTenant = db.sqlite.prepare('SELECT id, sip_domain, status FROM tenant WHERE is_default = 1');
    this.account = db.sqlite.prepare('SELECT id, sip_password, max_terminals FROM extension WHERE tenant_id = ? AND number = ?');
  }

  private tenantFor(domain: string): TenantHit | undefined {
    const now = this.now();
    const cached = this.tenantCache.get(domain);
    if (cached !== undefined && cached.until > now) return cached.hit;
    const hit = this.byDomain.get(domain.toLowerCase()) ?? this.defaultTenant.get();
    // Bounded: a flood of made-up domains must not grow the cache without end.
    if (this.tenantCache.size >= TENANT_CACHE_MAX) this.tenantCache.clear();
    this.tenantCache.set(domain, { hit, until: now + TENANT_CACHE_MS });
    return hit;
  }

  find(domain: string, user: string): Account | undefined {
    const t = this.tenantFor(domain);
    if (!t || t.status !== 'active') return undefined;
    const e = this.account.get(t.id, user);
    if (!e) return undefined;
    return {
      tenantId: t.id,
      extensionId: e.id,
      user,
      realm: t.sip_domain ?? this.defaultRealm,
      password: e.sip_password,
      maxContacts: e.max_terminals,
    };
  }

  realmFor(domain: string): string {
    return this.tenantFor(domain)?.sip_domain ?? this.defaultRealm;
  }
}
