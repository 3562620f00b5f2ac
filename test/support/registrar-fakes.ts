// In-memory implementations of the registrar ports, and a settable clock.
import type { Account, AccountSource, Binding, BindingStore, BlockedSource, BlockStore } from '../../src/sip/registrar/ports.ts';

export class Clock {
  constructor(public t = Date.UTC(2026, 10, 2, 9, 0, 0)) {}
  now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

export class MemoryAccounts implements AccountSource {
  private readonly accounts = new Map<string, Account>();
  constructor(private readonly realm = 'pbx.example.com') {}
  add(a: Partial<Account> & { user: string; password: string }): Account {
    const account: Account = { tenantId: 1, extensionId: Number(a.user), realm: this.realm, maxContacts: 3, ...a };
    this.accounts.set(a.user, account);
    return account;
  }
  find(_domain: string, user: string): Account | undefined {
    return this.accounts.get(user);
  }
  realmFor(_domain: string): string {
    return this.realm;
  }
}

export class MemoryBindingStore implements BindingStore {
  readonly rows = new Map<string, Binding>();
  private key(extensionId: number, contact: string): string {
    return `${extensionId}|${contact}`;
  }
  loadAll(): Binding[] {
    return [...this.rows.values()].map((b) => structuredClone(b));
  }
  upsert(binding: Binding): void {
    this.rows.set(this.key(binding.extensionId, binding.contact), structuredClone(binding));
  }
  remove(extensionId: number, contact: string): void {
    this.rows.delete(this.key(extensionId, contact));
  }
}

export class MemoryBlockStore implements BlockStore {
  readonly rows = new Map<string, BlockedSource>();
  loadAll(): BlockedSource[] {
    return [...this.rows.values()].map((b) => ({ ...b }));
  }
  upsert(block: BlockedSource): void {
    this.rows.set(block.address, { ...block });
  }
  remove(address: string): void {
    this.rows.delete(address);
  }
}
