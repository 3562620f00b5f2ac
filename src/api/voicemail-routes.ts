// /voicemail — voicemail messages: list a box (an extension's, or with general=true the tenant's
// general box) or every box of a tenant, one message's metadata, its WAV (Range support, like
// /recordings), deleting it, marking it heard. A tenant token reaches its tenant's messages only
// (others answer 404 like missing ones). Changes go through the server's store, so the phones'
// message-waiting lamps follow at once.
import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { Hono, type Context } from 'hono';
import { caller, intQuery, tenantFor, type ApiDeps, type ApiEnv } from './context.ts';
import { parseRange } from './byte-range.ts';
import { InvalidError, NotFoundError } from '../errors.ts';
import { VOICEMAIL_STATUSES } from '../voicemail/schema.ts';
import type { VoicemailFilter, VoicemailMessage, VoicemailStatus, VoicemailStore } from '../voicemail/voicemail-store.ts';

/** The API's dependencies with the voicemail store (Services.voicemail); /voicemail answers 503 without it. */
export type VoicemailApiDeps = ApiDeps & { services: { voicemail?: VoicemailStore } };

/** A message as the API shows it: the box named, the file's path left out. */
export function voicemailJson(m: VoicemailMessage) {
  return {
    id: m.id,
    tenantId: m.tenantId,
    box: m.extension ?? 'general',
    extensionId: m.extensionId,
    callerNumber: m.callerNumber,
    callerName: m.callerName,
    callId: m.callId,
    receivedAt: m.receivedAt,
    durationS: m.durationS,
    status: m.status,
    heardAt: m.heardAt,
  };
}

export function voicemailRoutes(deps: VoicemailApiDeps): Hono<ApiEnv> {
  const r = new Hono<ApiEnv>();

  r.use('*', async (c, next) => {
    if (!deps.services.voicemail) return c.json({ error: { code: 'unavailable', message: 'voicemail is not available here' } }, 503);
    await next();
  });
  const store = (): VoicemailStore => deps.services.voicemail!; // present: checked above
  const scope = (c: Context<ApiEnv>) => caller(c).tenantId ?? undefined;
  const idOf = (c: Context<ApiEnv>): number => {
    const raw = c.req.param('id') ?? '';
    if (!/^[0-9]{1,15}$/.test(raw)) throw new NotFoundError(`voicemail ${raw} does not exist`);
    return Number(raw);
  };

  r.get('/', (c) => {
    const q = (name: string) => c.req.query(name) || undefined;
    const status = q('status');
    if (status !== undefined && !(VOICEMAIL_STATUSES as readonly string[]).includes(status)) throw new InvalidError(`status must be one of ${VOICEMAIL_STATUSES.join(', ')}`);
    const extension = q('extension');
    const general = q('general');
    if (general !== undefined && general !== 'true' && general !== 'false') throw new InvalidError('general must be true or false');
    if (extension !== undefined && general === 'true') throw new InvalidError('give extension or general=true, not both');
    let filter: VoicemailFilter;
    if (extension !== undefined || general === 'true') {
      const t = tenantFor(c, deps, q('tenant'));
      filter = { tenantId: t.id, extensionId: extension === undefined ? null : deps.services.extensions.show(t.id, extension).id };
    } else {
      const ref = q('tenant');
      filter = ref !== undefined || caller(c).tenantId !== null ? { tenantId: tenantFor(c, deps, ref).id } : {};
    }
    const items = store().list(filter, { ...(status ? { status: status as VoicemailStatus } : {}), limit: intQuery(c, 'limit', 100, 1, 1000) });
    return c.json({ items: items.map(voicemailJson) });
  });

  r.get('/:id', (c) => c.json(voicemailJson(store().get(idOf(c), scope(c)))));

  r.delete('/:id', (c) => c.json(voicemailJson(store().delete(idOf(c), { actor: caller(c).actor, ...tenantOf(scope(c)) }))));

  r.post('/:id/heard', (c) => c.json(voicemailJson(store().markHeard(idOf(c), { actor: caller(c).actor, ...tenantOf(scope(c)) }))));

  r.get('/:id/audio', async (c) => {
    const id = idOf(c);
    const audio = store().audio(id, scope(c));
    // Open first, then size the open file: a delete may unlink the path meanwhile.
    let handle: FileHandle;
    try {
      handle = await open(audio.path, 'r');
    } catch {
      throw new NotFoundError(`the file of voicemail ${id} is missing`);
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
      'Content-Disposition': `inline; filename="voicemail-${id}.wav"`,
      'Cache-Control': 'private, no-store',
    };
    const range = parseRange(c.req.header('Range'), size);
    if (range === 'unsatisfiable') {
      await handle.close();
      return c.json(
        { error: { code: 'range_not_satisfiable', message: `the range ${c.req.header('Range')} lies outside the message (${size} bytes)` } },
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

function tenantOf(tenantId: number | undefined): { tenantId?: number } {
  return tenantId === undefined ? {} : { tenantId };
}
