// bin/pbx calls [--tenant T] [--json] | calls hangup ID — calls in progress on the running server,
// read and ended over its control socket (the live state is in the server process, not the database).
import { Command } from 'commander';
import { loadCliConfig, withConfigOption, withJsonOption, type CommonOptions } from './context.ts';
import { controlRequest } from './control-client.ts';
import { isoTime, json, stdio, table, type Out } from './output.ts';
import type { LiveCallView } from '../api/call-routes.ts';
import type { LiveCallParty } from '../calls/live-calls.ts';

const party = (p: LiveCallParty): string => (p.name ? `${p.number} (${p.name})` : p.number);

/** 0:07, 12:30, 1:02:03 */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60));
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${mm.padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

export function callsCommands(io: Out = stdio): Command {
  const cmd = withJsonOption(new Command('calls').description('calls in progress on the running PBX (`calls hangup ID` ends one)'))
    .option('-t, --tenant <tenant>', 'only this tenant (name or id)')
    .action(async (o: CommonOptions & { tenant?: string }) => {
      const config = loadCliConfig(o);
      const query = o.tenant === undefined ? '' : `?tenant=${encodeURIComponent(o.tenant)}`;
      const { items } = await controlRequest<{ items: LiveCallView[] }>(config, 'GET', `/calls${query}`);
      if (o.json) return io.out(json(items.map((c) => ({ ...c, startedAt: isoTime(c.startedAt), answeredAt: isoTime(c.answeredAt) }))));
      const now = Date.now();
      io.out(
        table(
          ['id', 'tenant', 'state', 'caller', 'callee', 'started', 'duration', 'recording'],
          items.map((c) => [c.id, c.tenant ?? c.tenantId, c.state, party(c.caller), party(c.callee), isoTime(c.startedAt), formatDuration(now - c.startedAt), c.recording ? 'yes' : '']),
        ),
      );
    });

  withConfigOption(cmd.command('hangup <id>').description('end a call in progress (BYE/CANCEL to every leg)'))
    .option('--reason <text>', 'reason recorded with the hangup (default: "admin hangup")')
    .action(async (id: string, _o: unknown, self: Command) => {
      // --config may be taken by the parent `calls` (it has the option too): read both.
      const o = self.optsWithGlobals<CommonOptions & { reason?: string }>();
      const config = loadCliConfig(o);
      await controlRequest(config, 'POST', `/calls/${encodeURIComponent(id)}/hangup`, o.reason === undefined ? {} : { reason: o.reason });
      io.out(`call ${id} hung up`);
    });

  return cmd;
}
