// Accounts that may place calls: the tenant's extensions, and tenant PBXs that authenticate
// their calls with digest credentials (a trunk with inbound_auth digest). Registration uses
// the extensions only; INVITEs are checked against both.
import type { Account, AccountSource } from '../sip/registrar/ports.ts';
import type { TrunkDirectory } from './trunk-directory.ts';

export class CallerAccounts implements AccountSource {
  constructor(
    private readonly extensions: AccountSource,
    private readonly trunks: TrunkDirectory,
  ) {}

  find(domain: string, user: string): Account | undefined {
    const ext = this.extensions.find(domain, user);
    if (ext !== undefined) return ext;
    const t = this.trunks.byInboundUser(user);
    if (t === undefined || t.tenantId === undefined || t.inboundPassword === undefined) return undefined;
    return { tenantId: t.tenantId, extensionId: 0, user, realm: this.extensions.realmFor(domain), password: t.inboundPassword, maxContacts: 0, trunkId: t.id };
  }

  realmFor(domain: string): string {
    return this.extensions.realmFor(domain);
  }
}
