// /recordings — recordings, newest first; /recordings/:id streams the two-channel WAV with Range
// support (players seek with it), read from disk as it is sent. A tenant token reaches its
// tenant's recordings only; a recording the retention policy deleted answers 404 saying when.
import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { Hono } from 'hono';
import { caller, intQuery, type ApiDeps, type ApiEnv } from './context.ts';
import { listTenant } from './cdr-routes.ts';
import { parseRange } from './byte-range.ts';
import { InvalidError, NotFoundError } from '../errors.ts';
import { RECORDING_STATUSES } from '../cdr/schema.ts';
import type { RecordingStatus } from '../cdr/cdr-service.ts';

export function recordingRoutes(deps: ApiDeps): Hono<ApiEnv> {
  const r = new Hono<ApiEnv>();
  const { cdrs } = deps.services;

  r.get('/', (c) => {
    const q = (name: string) => c.req.query(name) || undefined;
    const status = q('status');
    if (status !== undefined && !(RECORDING_STATUSES as readonly string[]).includes(status))
      throw new InvalidError(`status must be one of ${RECORDING_STATUSES.join(', ')}`);
    const tenantId = listTenant(c, deps);
    return c.json(
      cdrs.listRecordings({
        ...(tenantId !== undefined ? { tenantId } : {}),
        ...(q('since') ? { since: q('since')! } : {}),
        ...(q('until') ? { until: q('until')! } : {}),
        ...(status ? { status: status as RecordingStatus } : {}),
        ...(q('cursor') ? { cursor: q('cursor')! } : {}),
        limit: intQuery(c, 'limit', 100, 1, 1000),
      }),
    );
  });

  r.get('/:id', async (c) => {
    const raw = c.req.param('id');
    if (!/^[0-9]{1,15}$/.test(raw)) throw new NotFoundError(`recording ${raw} does not exist`);
    const id = Number(raw);
    const file = cdrs.recordingFile(id, caller(c).tenantId ?? undefined);
    // Open first, then size the open file: the retention job may unlink the path meanwhile.
    let handle: FileHandle;
    try {
      handle = await open(file.path, 'r');
    } catch {
      throw new NotFoundError(`the file of recording ${id} is missing`);
    }
    let size: number;
    try {
      size = (await handle.stat()).size;
    } catch (e) {
      await handle.close();
      throw e;
    }
    const headers: Record<string, string> = {
      'Content-Type': 'audio/wav',
      'Accept-Ranges': 'bytes',
      'Content-Disposition': `inline; filename="recording-${id}.wav"`,
      'Cache-Control': 'private, no-store',
    };
    const range = parseRange(c.req.header('Range'), size);
    if (range === 'unsatisfiable') {
      await handle.close();
      return c.json(
        { error: { code: 'range_not_satisfiable', message: `the range ${c.req.header('Range')} lies outside the recording (${size} bytes)` } },
        416,
        { ...headers, 'Content-Range': `bytes */${size}` },
      );
    }
    const start = range?.start ?? 0;
    const end = range?.end ?? size - 1;
    const length = Math.max(0, end - start + 1);
    Object.assign(headers, { 'Content-Length': String(length) }, range ? { 'Content-Range': `bytes ${start}-${end}/${size}` } : {});
    const status = range ? 206 : 200;
    if (c.req.method === 'HEAD' || length === 0) {
      await handle.close();
      return c.body(null, status, headers);
    }
    const stream = handle.createReadStream({ start, end }); // closes the file when done or aborted
    return c.body(Readable.toWeb(stream) as unknown as ReadableStream, status, headers);
  });

  return r;
}
