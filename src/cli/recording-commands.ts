// bin/pbx recording list|export — call recordings (files under the data directory, rows in the
// database); export copies one WAV out.
import { constants, copyFileSync } from 'node:fs';
import { Command } from 'commander';
import { choiceOption, intOption, withConfigOption, withJsonOption, withServices, type CommonOptions } from './context.ts';
import { isoTime, json, stdio, table, type Out } from './output.ts';
import { recordingView, timeOptions } from './cdr-commands.ts';
import { RECORDING_STATUSES } from '../cdr/schema.ts';
import type { RecordingStatus } from '../cdr/cdr-service.ts';
import { ConflictError, NotFoundError } from '../errors.ts';

interface ListOptions extends CommonOptions {
  tenant?: string;
  since?: string;
  until?: string;
  status?: RecordingStatus;
  limit: number;
  cursor?: string;
}

export function recordingCommands(io: Out = stdio): Command {
  const cmd = new Command('recording').description('call recordings (two-channel WAV: caller left, callee right)');

  withJsonOption(timeOptions(cmd.command('list').description('recordings, newest first')))
    .option('-t, --tenant <tenant>', 'only this tenant, name or id (default: every tenant)')
    .option('--status <status>', RECORDING_STATUSES.join(' | '), choiceOption(RECORDING_STATUSES))
    .option('--limit <n>', 'how many (default 50)', intOption(1, 1000), 50)
    .option('--cursor <cursor>', 'continue after a previous page (its nextCursor)')
    .action(async (o: ListOptions) => {
      await withServices(o, (s) => {
        const tenantId = o.tenant === undefined ? undefined : s.tenants.resolve(o.tenant).id;
        const page = s.cdrs.listRecordings({
          ...(tenantId !== undefined ? { tenantId } : {}),
          ...(o.since !== undefined ? { since: o.since } : {}),
          ...(o.until !== undefined ? { until: o.until } : {}),
          ...(o.status !== undefined ? { status: o.status } : {}),
          ...(o.cursor !== undefined ? { cursor: o.cursor } : {}),
          limit: o.limit,
        });
        if (o.json) return io.out(json({ items: page.items.map(recordingView), nextCursor: page.nextCursor }));
        io.out(
          table(
            ['id', 'call', 'started', 'seconds', 'bytes', 'status', 'file'],
            page.items.map((r) => [
              r.id,
              r.callId,
              isoTime(r.startedAt),
              r.seconds === null ? null : r.seconds.toFixed(1),
              r.bytes,
              r.status === 'deleted' ? `deleted ${isoTime(r.deletedAt)}` : r.status,
              r.status === 'deleted' ? null : r.path,
            ]),
          ),
        );
        if (page.nextCursor) io.out(`more: --cursor ${page.nextCursor}`);
      });
    });

  withConfigOption(cmd.command('export <id> <file>').description('copy a recording\'s WAV to FILE'))
    .option('-f, --force', 'overwrite FILE if it exists')
    .action(async (id: string, file: string, o: CommonOptions & { force?: boolean }) => {
      await withServices(o, (s) => {
        if (!/^[0-9]{1,15}$/.test(id)) throw new NotFoundError(`recording ${id} does not exist`);
        const rec = s.cdrs.recordingFile(Number(id));
        try {
          copyFileSync(rec.path, file, o.force ? 0 : constants.COPYFILE_EXCL);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'EEXIST') throw new ConflictError(`${file} exists; pass --force to overwrite it`);
          if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') throw new ConflictError(`cannot write ${file}: ${(e as Error).message}`);
          throw e;
        }
        const secs = rec.recording.seconds === null ? '' : `, ${rec.recording.seconds.toFixed(1)} s`;
        io.out(`recording ${rec.recording.id} (call ${rec.recording.callId}${secs}, ${rec.size} bytes) written to ${file}`);
      });
    });

  return cmd;
}
