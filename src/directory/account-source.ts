// The registrar's view of the directory (AccountSource): a SIP domain selects the tenant that
// owns it, any other domain falls to the default tenant; the user part is the extension number.
// Both lookups are prepared statements on unique indexes, so a REGISTER costs two index probes
// and password changes made by the CLI or API take effect on the next request.
import type Database from 'better-sqlite3';
import type { PbxDb } from '../db/open.ts';
import type { Account, AccountSource } from '../sip/registrar/ports.ts';

interface TenantHit {
  id: number;
  sip_domain: string | null;
  status: string;
}

export class DirectoryAccountSource implements AccountSource {
  private readonly byDomain: Database.Statement<[string], TenantHit>;
  private readonly defaultTenant: Database.Statement<[], TenantHit>;
  private readonly account: Database.Statement<[number, string], { id: number; sip_password: string; max_terminals: number }>;

  /** `defaultRealm` (config sip.auth.realm) is the realm of tenants without a SIP domain. */
  constructor(
    db: PbxDb,
    private readonly defaultRealm: string,
  ) {
    this.byDomain = db.sqlite.prepare('SELECT id, sip_domain, status FROM tenant WHERE sip_domain = ?');
    this.defaultTenant = db.sqlite.prepare('SELECT id, sip_domain, status FROM tenant WHERE is_default = 1');
    this.account = db.sqlite.prepare('SELECT id, sip_password, max_terminals FROM extension WHERE tenant_id = ? AND number = ?');
  }

  private tenantFor(domain: string): TenantHit | undefined {
    return this.byDomain.get(domain.toLowerCase()) ?? this.defaultTenant.get();
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
