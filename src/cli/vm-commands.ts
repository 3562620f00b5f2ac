// bin/pbx vm list|show|play|delete — voicemail boxes (an extension's, or a tenant's general box):
// list messages, copy one WAV out (or print where it is) and mark it heard, delete one. Works on
// the database a running server uses; the server brings the phones' message-waiting lamps in
// line when it notices the change. (An extension's PIN: pbx ext set N --voicemail-pin.)
import { constants, copyFileSync } from 'node:fs';
import { Command } from 'commander';
import { choiceOption, cliActor, intOption, withConfigOption, withJsonOption, withServices, type CommonOptions } from './context.ts';
import { isoTime, json, stdio, table, type Out } from './output.ts';
import { VOICEMAIL_STATUSES } from '../voicemail/schema.ts';
import type { VoicemailFilter, VoicemailMessage, VoicemailStatus } from '../voicemail/voicemail-store.ts';
import type { Services } from '../services.ts';
import { ConflictError, InvalidError } from '../errors.ts';

interface ListOptions extends CommonOptions {
  tenant?: string;
  extension?: string;
  general?: boolean;
  status?: VoicemailStatus;
  limit: number;
}

export function voicemailView(m: VoicemailMessage) {
  return {
    id: m.id,
    tenantId: m.tenantId,
    box: m.extension ?? 'general',
    extensionId: m.extensionId,
    callerNumber: m.callerNumber,
    callerName: m.callerName,
    callId: m.callId,
    receivedAt: isoTime(m.receivedAt),
    durationS: m.durationS,
    status: m.status,
    heardAt: isoTime(m.heardAt),
    path: m.status === 'deleted' ? null : m.path,
  };
}

function messageId(raw: string): number {
  if (!/^[0-9]{1,15}$/.test(raw)) throw new InvalidError(`${raw} must be a voicemail id (a whole number)`);
  return Number(raw);
}

function tenantOption(c: Command): Command {
  return c.option('-t, --tenant <tenant>', 'tenant name or id (default: the default tenant; list: every tenant unless a box is named)');
}

function describe(m: VoicemailMessage): string {
  return table(
    ['field', 'value'],
    [
      ['id', m.id],
      ['box', m.extension ?? 'general'],
      ['caller', m.callerName ? `${m.callerNumber} (${m.callerName})` : m.callerNumber],
      ['received', isoTime(m.receivedAt)],
      ['duration', `${m.durationS.toFixed(1)} s`],
      ['status', m.status],
      ['heard', isoTime(m.heardAt)],
      ['file', m.status === 'deleted' ? null : m.path],
    ],
  );
}

/** The filter of `vm list`: a box needs its tenant; no box and no tenant is every tenant. */
function listFilter(s: Services, o: ListOptions): VoicemailFilter {
  if (o.extension !== undefined && o.general) throw new InvalidError('give --extension N or --general, not both');
  if (o.extension === undefined && !o.general) return o.tenant === undefined ? {} : { tenantId: s.tenants.resolve(o.tenant).id };
  const t = s.tenants.resolve(o.tenant);
  if (o.general) return { tenantId: t.id, extensionId: null };
  return { tenantId: t.id, extensionId: s.extensions.show(t.id, o.extension!).id };
}

export function vmCommands(io: Out = stdio): Command {
  const cmd = new Command('vm').description("voicemail: messages in extensions' boxes and tenants' general boxes");

  withJsonOption(tenantOption(cmd.command('list').description('messages, newest first (not the deleted ones unless --status deleted)')))
    .option('-e, --extension <number>', "only this extension's box")
    .option('-g, --general', "only the tenant's general box (direct lines, closed hours)")
    .option('--status <status>', VOICEMAIL_STATUSES.join(' | '), choiceOption(VOICEMAIL_STATUSES))
    .option('--limit <n>', 'how many (default 100)', intOption(1, 1000), 100)
    .action(async (o: ListOptions) => {
      await withServices(o, (s) => {
        const items = s.voicemail.list(listFilter(s, o), { ...(o.status !== undefined ? { status: o.status } : {}), limit: o.limit });
        if (o.json) return io.out(json({ items: items.map(voicemailView) }));
        const tenants = new Map(s.tenants.list().map((t) => [t.id, t.name]));
        io.out(
          table(
            ['id', 'tenant', 'box', 'caller', 'received', 'seconds', 'status'],
            items.map((m) => [m.id, tenants.get(m.tenantId), m.extension ?? 'general', m.callerNumber, isoTime(m.receivedAt), m.durationS.toFixed(1), m.status]),
          ),
        );
      });
    });

  withJsonOption(cmd.command('show <id>').description('one message')).action(async (id: string, o: CommonOptions) => {
    await withServices(o, (s) => {
      const m = s.voicemail.get(messageId(id));
      io.out(o.json ? json(voicemailView(m)) : describe(m));
    });
  });

  withJsonOption(cmd.command('play <id>').description('copy the message\'s WAV to --out FILE (or print where it is) and mark it heard'))
    .option('-o, --out <file>', 'write the WAV here')
    .option('-f, --force', 'overwrite FILE if it exists')
    .action(async (id: string, o: CommonOptions & { out?: string; force?: boolean }) => {
      await withServices(o, (s) => {
        const audio = s.voicemail.audio(messageId(id));
        if (o.out !== undefined) {
          try {
            copyFileSync(audio.path, o.out, o.force ? 0 : constants.COPYFILE_EXCL);
          } catch (e) {
            const code = (e as NodeJS.ErrnoException).code;
            if (code === 'EEXIST') throw new ConflictError(`${o.out} exists; pass --force to overwrite it`);
            if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') throw new ConflictError(`cannot write ${o.out}: ${(e as Error).message}`);
            throw e;
          }
        }
        const m = s.voicemail.markHeard(audio.message.id, { actor: cliActor() });
        if (o.json) return io.out(json({ ...voicemailView(m), bytes: audio.size, ...(o.out !== undefined ? { writtenTo: o.out } : {}) }));
        const what = `voicemail ${m.id} from ${m.callerNumber} (${m.durationS.toFixed(1)} s, box ${m.extension ?? 'general'})`;
        io.out(o.out !== undefined ? `${what} written to ${o.out}` : `${what}: ${audio.path}`);
      });
    });

  withConfigOption(cmd.command('delete <id>').description('delete a message (its file is removed)')).action(async (id: string, o: CommonOptions) => {
    await withServices(o, (s) => {
      const m = s.voicemail.delete(messageId(id), { actor: cliActor() });
      io.out(`voicemail ${m.id} from ${m.callerNumber} deleted from box ${m.extension ?? 'general'}`);
    });
  });

  return cmd;
}
