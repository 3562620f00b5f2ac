// bin/pbx audit list — the audit trail of mutations.
import { Command } from 'commander';
import { intOption, withJsonOption, withServices, type CommonOptions } from './context.ts';
import { isoTime, json, stdio, table, type Out } from './output.ts';

export function auditCommands(io: Out = stdio): Command {
  const cmd = new Command('audit').description('audit trail');
  withJsonOption(cmd.command('list').description('latest mutations, newest first'))
    .option('--limit <n>', 'how many (default 50)', intOption(1, 1000), 50)
    .action(async (o: CommonOptions & { limit: number }) => {
      await withServices(o, (s) => {
        const rows = s.audit.list({ limit: o.limit });
        if (o.json) return io.out(json(rows.map((r) => ({ ...r, at: isoTime(r.at) }))));
        io.out(table(['at', 'actor', 'action', 'target', 'tenant'], rows.map((r) => [isoTime(r.at), r.actor, r.action, r.target, r.tenantId])));
      });
    });
  return cmd;
}
