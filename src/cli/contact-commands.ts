// bin/pbx contact add|list|search|show|set|remove — external contacts of a tenant: name, company,
// numbers (normalised), the employee who manages them. `contact add --from-call CALL_ID` takes
// the call record's outside party (the caller of an inbound call, the callee of an outbound one).
import { Command } from 'commander';
import { cliActor, intOption, withConfigOption, withJsonOption, withServices, type CommonOptions } from './context.ts';
import { isoTime, json, stdio, table, type Out } from './output.ts';
import type { Contact, ContactPatch } from '../directory/contact-service.ts';
import { InvalidError } from '../errors.ts';

interface TenantOption extends CommonOptions {
  tenant?: string;
}

interface ContactOptions extends TenantOption {
  name?: string;
  company?: string;
  owner?: string;
  number: string[];
  fromCall?: string;
}

export function contactView(c: Contact) {
  return { ...c, createdAt: isoTime(c.createdAt) };
}

function tenantOption(c: Command): Command {
  return c.option('-t, --tenant <tenant>', 'tenant name or id (default: the default tenant)');
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];
const owner = (c: Contact): string | null => (c.owner ? `${c.owner.employeeNo} (${c.owner.name})` : null);

function describe(c: Contact, tenantName: string): string {
  return table(
    ['field', 'value'],
    [
      ['tenant', tenantName],
      ['id', c.id],
      ['name', c.name],
      ['company', c.company],
      ['numbers', c.numbers.join(', ')],
      ['account manager', owner(c)],
      ['created', isoTime(c.createdAt)],
    ],
  );
}

function list(io: Out, items: Contact[]): void {
  io.out(table(['id', 'name', 'company', 'numbers', 'account manager'], items.map((c) => [c.id, c.name, c.company, c.numbers.join(', '), owner(c)])));
}

function contactId(v: string): number {
  if (!/^[0-9]{1,15}$/.test(v)) throw new InvalidError(`contact ${JSON.stringify(v)}: give its id (pbx contact list / search shows it)`);
  return Number(v);
}

export function contactCommands(io: Out = stdio): Command {
  const cmd = new Command('contact').description("a tenant's external contacts (customers, suppliers) with their numbers and account manager");

  withJsonOption(tenantOption(cmd.command('add').description('add a contact: --name and one or more --number, or --from-call CALL_ID for a call\'s outside party')))
    .requiredOption('-n, --name <name>', 'the contact\'s name')
    .option('--number <number>', 'a phone number (repeat for several)', collect, [])
    .option('--company <company>', 'company')
    .option('--owner <employee-id>', 'the employee who manages the contact')
    .option('--from-call <call-id>', 'take the number from this call record (its caller if inbound, its callee if outbound)')
    .action(async (o: ContactOptions) => {
      await withServices(o, (s) => {
        const t = s.tenants.resolve(o.tenant);
        const input = { name: o.name!, company: o.company ?? null, owner: o.owner ?? null };
        const c = o.fromCall !== undefined ? s.contacts.addFromCall(t.id, o.fromCall, { ...input, numbers: o.number }, cliActor()) : s.contacts.add(t.id, { ...input, numbers: o.number }, cliActor());
        io.out(o.json ? json(contactView(c)) : `contact ${c.id} (${c.name}, ${c.numbers.join(', ')}) added to tenant ${t.name}`);
      });
    });

  withJsonOption(tenantOption(cmd.command('list').description('contacts by name')))
    .option('--owner <employee-id>', "only this employee's contacts")
    .option('-s, --search <text>', 'only names or numbers starting with this (as `contact search`)')
    .option('--limit <n>', 'at most this many (default 100)', intOption(1, 1000), 100)
    .option('--offset <n>', 'skip this many', intOption(0, Number.MAX_SAFE_INTEGER), 0)
    .action(async (o: TenantOption & { owner?: string; search?: string; limit: number; offset: number }) => {
      await withServices(o, (s) => {
        const t = s.tenants.resolve(o.tenant);
        if (o.search !== undefined) {
          const items = s.contacts.search(t.id, o.search, o.limit);
          return o.json ? io.out(json({ tenant: t.name, items: items.map(contactView) })) : list(io, items);
        }
        const page = s.contacts.list(t.id, { limit: o.limit, offset: o.offset, ...(o.owner !== undefined ? { owner: o.owner } : {}) });
        if (o.json) return io.out(json({ tenant: t.name, ...page, items: page.items.map(contactView) }));
        list(io, page.items);
        if (page.total > page.items.length) io.out(`(${page.items.length === 0 ? 0 : page.offset + 1}-${page.offset + page.items.length} of ${page.total}; use --offset/--limit)`);
      });
    });

  withJsonOption(tenantOption(cmd.command('search <text>').description('contacts whose name, or one of whose numbers, starts with TEXT')))
    .option('--limit <n>', 'at most this many (default 20)', intOption(1, 200), 20)
    .action(async (text: string, o: TenantOption & { limit: number }) => {
      await withServices(o, (s) => {
        const t = s.tenants.resolve(o.tenant);
        const items = s.contacts.search(t.id, text, o.limit);
        if (o.json) return io.out(json({ tenant: t.name, items: items.map(contactView) }));
        if (items.length === 0) return io.out(`no contact matches ${JSON.stringify(text)}`);
        list(io, items);
      });
    });

  withJsonOption(tenantOption(cmd.command('show <id>').description('one contact'))).action(async (id: string, o: TenantOption) => {
    await withServices(o, (s) => {
      const t = s.tenants.resolve(o.tenant);
      const c = s.contacts.get(t.id, contactId(id));
      io.out(o.json ? json(contactView(c)) : describe(c, t.name));
    });
  });

  withJsonOption(tenantOption(cmd.command('set <id>').description("change a contact ('none' clears company and owner; --number replaces every number)")))
    .option('-n, --name <name>', 'name')
    .option('--company <company>', "company, or 'none'")
    .option('--owner <employee-id>', "account manager, or 'none'")
    .option('--number <number>', 'the numbers (repeat for several; replaces them all)', collect, [])
    .action(async (id: string, o: ContactOptions) => {
      const patch: ContactPatch = {};
      const clear = (v: string) => (v === '' || v === 'none' ? null : v);
      if (o.name !== undefined) patch.name = o.name;
      if (o.company !== undefined) patch.company = clear(o.company);
      if (o.owner !== undefined) patch.owner = clear(o.owner);
      if (o.number.length > 0) patch.numbers = o.number;
      await withServices(o, (s) => {
        const t = s.tenants.resolve(o.tenant);
        const c = s.contacts.update(t.id, contactId(id), patch, cliActor());
        io.out(o.json ? json(contactView(c)) : describe(c, t.name));
      });
    });

  withConfigOption(tenantOption(cmd.command('remove <id>').description('remove a contact with its numbers'))).action(async (id: string, o: TenantOption) => {
    await withServices(o, (s) => {
      const t = s.tenants.resolve(o.tenant);
      const c = s.contacts.remove(t.id, contactId(id), cliActor());
      io.out(`contact ${c.id} (${c.name}) removed from tenant ${t.name}`);
    });
  });

  return cmd;
}
