// bin/pbx outbox list|show|retry — the SMS/webhook outbox in the database. `retry` works without
// the server: the running server's outbox worker polls the database and picks the message up.
import { Command, InvalidArgumentError } from 'commander';
import { choiceOption, cliActor, intOption, withJsonOption, withServices, type CommonOptions } from './context.ts';
import { isoTime, json, stdio, table, type Out } from './output.ts';
import { OUTBOX_CHANNELS, OUTBOX_PURPOSES, OUTBOX_STATUSES, type OutboxChannel, type OutboxItem, type OutboxPurpose, type OutboxStatus } from '../notify/outbox.ts';
import type { Services } from '../services.ts';

interface ListOptions extends CommonOptions {
  status?: OutboxStatus;
  purpose?: OutboxPurpose;
  channel?: OutboxChannel;
  tenant?: string;
  limit: number;
  before?: number;
}

/** A message for --json: times as ISO strings, the tenant's name. */
export function outboxView(m: OutboxItem, tenant: string | null) {
  return { ...m, tenant, nextAttemptAt: isoTime(m.nextAttemptAt), createdAt: isoTime(m.createdAt), sentAt: isoTime(m.sentAt) };
}

const shorten = (s: string | null, n: number): string | null => (s === null ? null : s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** When it goes next (pending), or went (sent). */
function when(m: OutboxItem): string | null {
  if (m.status === 'sent') return `sent ${isoTime(m.sentAt)}`;
  if (m.status === 'pending') return `next ${isoTime(m.nextAttemptAt)}`;
  return null;
}

function tenantNames(s: Services): (id: number | null) => string | null {
  const names = new Map<number, string | null>();
  return (id) => {
    if (id === null) return null;
    if (!names.has(id)) names.set(id, s.tenants.get(id)?.name ?? null);
    return names.get(id)!;
  };
}

function messageId(value: string): number {
  if (!/^[1-9][0-9]{0,15}$/.test(value)) throw new InvalidArgumentError('must be a message id (a whole number, see `pbx outbox list`)');
  return Number(value);
}

export function outboxCommands(io: Out = stdio): Command {
  const cmd = new Command('outbox').description('SMS and webhooks waiting, sent or given up (dead); send a dead one again');

  withJsonOption(cmd.command('list').description('messages, newest first'))
    .option('-s, --status <status>', OUTBOX_STATUSES.join(' | '), choiceOption(OUTBOX_STATUSES))
    .option('-p, --purpose <purpose>', OUTBOX_PURPOSES.join(' | '), choiceOption(OUTBOX_PURPOSES))
    .option('--channel <channel>', OUTBOX_CHANNELS.join(' | '), choiceOption(OUTBOX_CHANNELS))
    .option('-t, --tenant <tenant>', 'only this tenant, name or id (default: every tenant)')
    .option('--limit <n>', 'how many (default 50)', intOption(1, 1000), 50)
    .option('--before <id>', 'only messages with a smaller id (the next page)', messageId)
    .action(async (o: ListOptions) => {
      await withServices(o, (s) => {
        const tenantId = o.tenant === undefined ? undefined : s.tenants.resolve(o.tenant).id;
        const items = s.outbox.list({ tenantId, status: o.status, purpose: o.purpose, channel: o.channel, limit: o.limit, beforeId: o.before });
        const name = tenantNames(s);
        if (o.json) return io.out(json({ items: items.map((m) => outboxView(m, name(m.tenantId))) }));
        if (items.length === 0) return io.out('no messages');
        io.out(
          table(
            ['id', 'created', 'tenant', 'channel', 'purpose', 'to', 'status', 'tries', 'when', 'last error'],
            items.map((m) => [m.id, isoTime(m.createdAt), name(m.tenantId), m.format && m.format !== 'json' ? `${m.channel}/${m.format}` : m.channel, m.purpose, shorten(m.recipient, 40), m.status, m.attempts, when(m), shorten(m.lastError, 60)]),
          ),
        );
        if (items.length === o.limit) io.out(`more: --before ${items.at(-1)!.id}`);
      });
    });

  withJsonOption(cmd.command('show').argument('<id>', 'message id', messageId).description('one message with its text or body'))
    .action(async (id: number, o: CommonOptions) => {
      await withServices(o, (s) => {
        const m = s.outbox.get(id);
        const tenant = tenantNames(s)(m.tenantId);
        if (o.json) return io.out(json(outboxView(m, tenant)));
        const rows: Array<[string, string | number | null]> = [
          ['id', m.id],
          ['tenant', tenant ?? m.tenantId],
          ['channel', m.channel],
          ['format', m.format],
          ['purpose', m.purpose],
          ['to', m.recipient],
          ['status', m.status],
          ['attempts', m.attempts],
          ['created', isoTime(m.createdAt)],
          ['next attempt', m.status === 'pending' ? isoTime(m.nextAttemptAt) : null],
          ['sent', isoTime(m.sentAt)],
          ['last error', m.lastError],
          ['call', m.callId],
          ['dedupe key', m.dedupeKey],
        ];
        io.out([table(['field', 'value'], rows), '', m.body].join('\n'));
      });
    });

  withJsonOption(cmd.command('retry').argument('<id>', 'message id', messageId).description('send a dead (or waiting) message again now; the running server delivers it within seconds'))
    .action(async (id: number, o: CommonOptions) => {
      await withServices(o, (s) => {
        const m = s.outbox.retry(id, { actor: cliActor() });
        if (o.json) return io.out(json(outboxView(m, tenantNames(s)(m.tenantId))));
        io.out(`message ${m.id} (${m.channel} to ${m.recipient}) is pending again; the running server sends it within seconds`);
      });
    });

  return cmd;
}
