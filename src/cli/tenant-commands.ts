// bin/pbx tenant add|list|set|remove
import { Command } from 'commander';
import { choiceOption, cliActor, intOption, withConfigOption, withJsonOption, withServices, type CommonOptions } from './context.ts';
import { isoTime, json, stdio, table, type Out } from './output.ts';
import { RETENTION_DAYS, type Tenant, type TenantPatch } from '../tenancy/tenant-service.ts';
import { InvalidError } from '../errors.ts';

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
          ['id', 'name', 'domain', 'default', 'status', 'source', 'extensions', 'recording'],
          ts.map((t) => [
            t.id,
            t.name,
            t.domain ?? (t.isDefault ? '(any)' : null),
            t.isDefault ? 'yes' : '',
            t.status,
            t.configManaged ? 'config' : 'db',
            s.extensions.count(t.id),
            t.recordingEnabled ? `on, kept ${t.recordingRetentionDays} d` : 'off',
          ]),
        ),
      );
    });
  });

  withJsonOption(cmd.command('set <name>').description('change a tenant\'s settings (not for tenants declared in the config file)'))
    .option('--recording <on|off>', 'record every call of the tenant (default on)', choiceOption(['on', 'off'] as const))
    .option('--retention-days <n>', `delete recordings older than this: ${RETENTION_DAYS.min}-${RETENTION_DAYS.max} days (default ${RETENTION_DAYS.default})`, intOption(RETENTION_DAYS.min, RETENTION_DAYS.max))
    .action(async (name: string, o: CommonOptions & { recording?: 'on' | 'off'; retentionDays?: number }) => {
      const patch: TenantPatch = {
        ...(o.recording !== undefined ? { recordingEnabled: o.recording === 'on' } : {}),
        ...(o.retentionDays !== undefined ? { recordingRetentionDays: o.retentionDays } : {}),
      };
      if (Object.keys(patch).length === 0) throw new InvalidError('nothing to change: pass --recording on|off and/or --retention-days N');
      await withServices(o, (s) => {
        const t = s.tenants.update(name, patch, cliActor());
        io.out(o.json ? json(tenantView(t)) : `tenant ${t.name}: recording ${t.recordingEnabled ? 'on' : 'off'}, recordings kept ${t.recordingRetentionDays} days`);
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
