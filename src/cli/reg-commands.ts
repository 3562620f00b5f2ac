// bin/pbx reg list — live registrations as stored by the running server (write-through).
import { Command } from 'commander';
import { withJsonOption, withServices, type CommonOptions } from './context.ts';
import { isoTime, json, stdio, table, type Out } from './output.ts';

export function regCommands(io: Out = stdio): Command {
  const cmd = new Command('reg').description('SIP registrations');
  withJsonOption(cmd.command('list').description('live registrations: contact, source address, user agent, expiry'))
    .option('-t, --tenant <tenant>', 'only this tenant (name or id)')
    .action(async (o: CommonOptions & { tenant?: string }) => {
      await withServices(o, (s) => {
        const tenantId = o.tenant === undefined ? undefined : s.tenants.resolve(o.tenant).id;
        const regs = s.bindings.listLive(tenantId);
        if (o.json)
          return io.out(
            json(
              regs.map((r) => ({
                tenant: r.tenantName,
                extension: r.user,
                contact: r.contact,
                source: `${r.source.transport}:${r.source.address}:${r.source.port}`,
                natted: r.natted,
                userAgent: r.userAgent ?? null,
                registeredAt: isoTime(r.registeredAt),
                expiresAt: isoTime(r.expiresAt),
              })),
            ),
          );
        const now = Date.now();
        io.out(
          table(
            ['tenant', 'ext', 'contact', 'source', 'nat', 'user agent', 'expires in'],
            regs.map((r) => [r.tenantName, r.user, r.contact, `${r.source.transport} ${r.source.address}:${r.source.port}`, r.natted ? 'yes' : '', r.userAgent, `${Math.max(0, Math.round((r.expiresAt - now) / 1000))} s`]),
          ),
        );
      });
    });
  return cmd;
}
