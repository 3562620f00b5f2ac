// bin/pbx cdr list|show — call records from the database (the same one a running server writes).
import { Command } from 'commander';
import { choiceOption, intOption, withJsonOption, withServices, type CommonOptions } from './context.ts';
import { isoTime, json, stdio, table, type Out } from './output.ts';
import { DISPOSITIONS } from '../cdr/schema.ts';
import type { CallDetail, CallRecord, LegRecord, RecordingInfo } from '../cdr/cdr-service.ts';
import type { Disposition } from '../calls/call-events.ts';

interface ListOptions extends CommonOptions {
  tenant?: string;
  since?: string;
  until?: string;
  extension?: string;
  disposition?: Disposition;
  limit: number;
  cursor?: string;
}

const party = (number: string, name: string | null, department: string | null = null): string =>
  name || department ? `${number} (${[name, department].filter(Boolean).join(', ')})` : number;

/** 65 → 1:05, 3725 → 1:02:05 */
export function formatSeconds(s: number | null): string | null {
  if (s === null) return null;
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60));
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${mm.padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

export function callView(c: CallRecord) {
  return { ...c, startedAt: isoTime(c.startedAt), answeredAt: isoTime(c.answeredAt), endedAt: isoTime(c.endedAt) };
}

export function legView(l: LegRecord) {
  return { ...l, startedAt: isoTime(l.startedAt), answeredAt: isoTime(l.answeredAt), endedAt: isoTime(l.endedAt) };
}

export function recordingView(r: RecordingInfo) {
  return { ...r, startedAt: isoTime(r.startedAt), finishedAt: isoTime(r.finishedAt), deletedAt: isoTime(r.deletedAt) };
}

function detailView(c: CallDetail) {
  return { ...callView(c), legs: c.legs.map(legView), recordings: c.recordings.map(recordingView) };
}

function describeCall(c: CallDetail): string {
  const rows: Array<[string, string | number | null]> = [
    ['id', c.id],
    ['tenant', c.tenant ?? c.tenantId],
    ['direction', c.direction],
    ['caller', party(c.callerNumber, c.callerName)],
    ['caller department', c.callerDepartment],
    ['callee', party(c.calleeNumber, c.calleeName)],
    ['callee department', c.calleeDepartment],
    ['callee kind', c.calleeKind],
    ['started', isoTime(c.startedAt)],
    ['answered', isoTime(c.answeredAt)],
    ['ended', isoTime(c.endedAt)],
    ['duration', formatSeconds(c.durationS)],
    ['billable', c.billableS === null ? null : `${c.billableS} s`],
    ['disposition', c.disposition ?? 'in progress'],
    ['hung up by', c.hangupBy],
    ['SIP code', c.sipCode],
    ['reason', c.reason],
    ['SIP Call-ID', c.sipCallId],
  ];
  const parts = [table(['field', 'value'], rows)];
  if (c.legs.length > 0) {
    parts.push(
      '',
      table(
        ['leg', 'dir', 'party', 'target', 'started', 'answered', 'ended', 'disposition', 'by', 'sip'],
        c.legs.map((l) => [l.id, l.direction, party(l.number, l.name), l.target, isoTime(l.startedAt), isoTime(l.answeredAt), isoTime(l.endedAt), l.disposition, l.hangupBy, l.sipCode]),
      ),
    );
  }
  for (const r of c.recordings) parts.push('', `recording ${r.id}: ${recordingState(r)}`);
  return parts.join('\n');
}

export function recordingState(r: RecordingInfo): string {
  if (r.status === 'deleted') return `deleted on ${isoTime(r.deletedAt)} by the retention policy`;
  const len = r.seconds === null ? '' : ` ${r.seconds.toFixed(1)} s`;
  if (r.status === 'failed') return `failed${len} (${r.error ?? 'unknown error'}) ${r.path}`;
  return `${r.status}${len} ${r.path}`;
}

function tenantOption(c: Command): Command {
  return c.option('-t, --tenant <tenant>', 'only this tenant, name or id (default: every tenant)');
}

export function timeOptions(c: Command): Command {
  return c
    .option('--since <time>', 'started at or after: ISO date/time (2026-03-01, 2026-03-01T08:00:00Z) or ms since epoch')
    .option('--until <time>', 'started before: ISO date/time or ms since epoch');
}

export function cdrCommands(io: Out = stdio): Command {
  const cmd = new Command('cdr').description('call records: one per call, with its legs and recording');

  withJsonOption(timeOptions(tenantOption(cmd.command('list').description('call records, newest first'))))
    .option('-e, --extension <number>', 'calls the extension made, received or was rung for')
    .option('-d, --disposition <disposition>', DISPOSITIONS.join(' | '), choiceOption(DISPOSITIONS))
    .option('--limit <n>', 'how many (default 50)', intOption(1, 1000), 50)
    .option('--cursor <cursor>', 'continue after a previous page (its nextCursor)')
    .action(async (o: ListOptions) => {
      await withServices(o, (s) => {
        const tenantId = o.tenant === undefined ? undefined : s.tenants.resolve(o.tenant).id;
        const page = s.cdrs.list({
          ...(tenantId !== undefined ? { tenantId } : {}),
          ...(o.since !== undefined ? { since: o.since } : {}),
          ...(o.until !== undefined ? { until: o.until } : {}),
          ...(o.extension !== undefined ? { extension: o.extension } : {}),
          ...(o.disposition !== undefined ? { disposition: o.disposition } : {}),
          ...(o.cursor !== undefined ? { cursor: o.cursor } : {}),
          limit: o.limit,
        });
        if (o.json) return io.out(json({ items: page.items.map(callView), nextCursor: page.nextCursor }));
        io.out(
          table(
            ['started', 'id', 'tenant', 'dir', 'from', 'to', 'kind', 'duration', 'billable', 'disposition', 'by', 'sip', 'rec'],
            page.items.map((c) => [
              isoTime(c.startedAt),
              c.id,
              c.tenant ?? c.tenantId,
              c.direction,
              party(c.callerNumber, c.callerName, c.callerDepartment),
              party(c.calleeNumber, c.calleeName, c.calleeDepartment),
              c.calleeKind,
              formatSeconds(c.durationS),
              c.billableS,
              c.disposition ?? 'in progress',
              c.hangupBy,
              c.sipCode,
              c.recordingId === null ? null : c.recordingStatus === 'complete' ? c.recordingId : `${c.recordingId} (${c.recordingStatus})`,
            ]),
          ),
        );
        if (page.nextCursor) io.out(`more: --cursor ${page.nextCursor}`);
      });
    });

  withJsonOption(cmd.command('show <id>').description('one call with its legs and recording')).action(async (id: string, o: CommonOptions) => {
    await withServices(o, (s) => {
      const c = s.cdrs.get(id);
      io.out(o.json ? json(detailView(c)) : describeCall(c));
    });
  });

  return cmd;
}
