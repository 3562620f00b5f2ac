// The registrar's view of the directory (AccountSource): a SIP domain selects the tenant that
// owns it, any other domain falls to the default tenant; the user part is the extension number.
// The extension lookup is a prepared statement on a unique index, so password changes made by
// the CLI or API take effect on the next request. The tenant of a domain is asked several
// times per REGISTER and changes rarely: it is cached for a second (a new tenant or domain
// takes effect within a second).
// The registrar's terminal limit (maxContacts) is what the extension's max terminals (≤ 3) leaves
// after its PSTN terminals: phones + PSTN numbers ≤ max terminals. At least one phone may always
// register (the registrar keeps the limit ≥ 1): with every slot taken by PSTN terminals the
// desk phone still works, and call routing rings the phones first and PSTN terminals only up to
// 3 targets in total.
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
  private readonly account: Database.Statement<[number, string], { id: number; sip_password: string; max_terminals: number; pstn: number }>;

  private readonly tenantCache = new Map<string, { hit: TenantHit | undefined; until: number }>();

  /** `defaultRealm` (config sip.auth.realm) is the realm of tenants without a SIP domain. */
  constructor(
    db: PbxDb,
    private readonly defaultRealm: string,
    private readonly now: () => number = Date.now,
  ) {
    this.byDomain = db.sqlite.prepare('SELECT id, sip_domain, status FROM tenant WHERE sip_domain = ?');
    this.defaultTenant = db.sqlite.prepare('SELECT id, sip_domain, status FROM tenant WHERE is_default = 1');
    // the count is on the terminal_owner_extension index: no extra work per REGISTER worth naming
    this.account = db.sqlite.prepare(
      `SELECT x.id, x.sip_password, x.max_terminals,
         (SELECT count(*) FROM terminal t WHERE t.owner_extension_id = x.id AND t.kind = 'pstn') AS pstn
       FROM extension x WHERE x.tenant_id = ? AND x.number = ?`,
    );
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
      maxContacts: Math.max(1, Math.min(3, e.max_terminals) - e.pstn),
    };
  }

  realmFor(domain: string): string {
    return this.tenantFor(domain)?.sip_domain ?? this.defaultRealm;
  }
}
