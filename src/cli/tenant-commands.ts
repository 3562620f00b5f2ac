// bin/pbx tenant add|list|remove
import { Command } from 'commander';
import { cliActor, withConfigOption, withJsonOption, withServices, type CommonOptions } from './context.ts';
import { isoTime, json, stdio, table, type Out } from './output.ts';
import type { Tenant } from '../tenancy/tenant-service.ts';

export function tenantView(t: Tenant) {
  return { ...t, createdAt: isoTime(t.createdAt) };
}

export function tenantCommands(io: Out = stdio): Command {
  const cmd = new Command('tenant').description('tenants (companies); the default tenant takes any SIP domain');

  withJsonOption(cmd.command('add <name>').description('add a tenant selected by its SIP domain'))
    .requiredOption('-d, --domain <domain>', 'the SIP domain its phones register to')
    .action(async (name: string, o: CommonOptions & { domain: string }) => {
      await withServices(o, (s) => {
        const t = s.tenants.add({ name, domain: o.domain }, cliActor());
        io.out(o.json ? json(tenantView(t)) : `tenant ${t.name} added (id ${t.id}, domain ${t.domain})`);
      });
    });

  withJsonOption(cmd.command('list').description('list tenants')).action(async (o: CommonOptions) => {
    await withServices(o, (s) => {
      const ts = s.tenants.list();
      if (o.json) return io.out(json(ts.map(tenantView)));
      io.out(
        table(
          ['id', 'name', 'domain', 'default', 'status', 'source', 'extensions'],
          ts.map((t) => [t.id, t.name, t.domain ?? (t.isDefault ? '(any)' : null), t.isDefault ? 'yes' : '', t.status, t.configManaged ? 'config' : 'db', s.extensions.count(t.id)]),
        ),
      );
    });
  });

  withConfigOption(cmd.command('remove <name>').description('remove a tenant and everything it owns')).action(async (name: string, o: CommonOptions) => {
    await withServices(o, (s) => {
      const t = s.tenants.remove(name, cliActor());
      io.out(`tenant ${t.name} removed`);
    });
  });

  return cmd;
}
