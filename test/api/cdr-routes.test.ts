import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { unlinkSync } from 'node:fs';
import { createApiApp, serveApi } from '../../src/api/index.ts';
import { CallEventBus } from '../../src/calls/call-events.ts';
import { CdrWriter, RecordingRetention, prepareRecordingPath } from '../../src/cdr/index.ts';
import { WavWriter } from '../../src/media/wav-writer.ts';
import { applyConfig } from '../../src/config/index.ts';
import { tempServices } from '../fixtures.ts';
import { publishCall } from '../cdr/cdr-fixtures.ts';

let env: ReturnType<typeof tempServices>;
let app: ReturnType<typeof createApiApp>;
let bus: CallEventBus;
let writer: CdrWriter;
let admin: string;
let def: number;
let acme: number;
let recId: number;
let wavPath: string;
const T0 = Date.UTC(2026, 2, 1, 8, 0, 0);
const WAV_SIZE = 44 + 8000 * 4; // one second of stereo PCM16

beforeEach(() => {
  env = tempServices('tenants:\n  - name: main\n    default: true\n  - name: managed\n    domain: managed.example\n    recording: false\n');
  applyConfig(env.services.db, env.config, env.services.audit);
  app = createApiApp({ services: env.services });
  admin = env.services.tokens.create({ name: 'test-admin' }).token;
  bus = new CallEventBus();
  writer = new CdrWriter(env.services.db).attach(bus);
  env.services.cdrs.attachWriter(writer);
  def = env.services.tenants.defaultTenant().id;
  acme = env.services.tenants.add({ name: 'acme', domain: 'acme.example' }).id;
  wavPath = prepareRecordingPath(env.config, { tenantId: def, callId: 'd1', at: T0 });
  const w = new WavWriter(wavPath, { channels: 2 });
  w.write(Buffer.alloc(8000 * 4, 0x11));
  w.close();
  publishCall(bus, { callId: 'd1', tenantId: def, at: T0, answerAfter: 2000, endAfter: 3000, disposition: 'answered', hangupBy: 'caller', recordingPath: wavPath });
  publishCall(bus, { callId: 'd2', tenantId: def, at: T0 + 60_000, endAfter: 500, disposition: 'busy', hangupBy: 'callee', sipCode: 486 });
  publishCall(bus, { callId: 'a1', tenantId: acme, at: T0 + 30_000, endAfter: 500, disposition: 'cancelled', hangupBy: 'caller', sipCode: 487 });
  recId = env.services.cdrs.get('d1').recordingId!;
});
afterEach(() => {
  writer.stop();
  env.cleanup();
});

function call(method: string, path: string, opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { Authorization: `Bearer ${opts.token ?? admin}`, 'Content-Type': 'application/json', ...opts.headers };
  return app.request(path, { method, headers, ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}) });
}
const json = async (r: Response) => (await r.json()) as Record<string, unknown> & { items: Array<{ id: string }>; nextCursor: string | null };

describe('GET /cdrs', () => {
  it('lists every tenant for a platform token, filters, pages with nextCursor', async () => {
    expect((await json(await call('GET', '/cdrs'))).items.map((c) => c.id)).toEqual(['d2', 'a1', 'd1']);
    expect((await json(await call('GET', '/cdrs?tenant=main'))).items.map((c) => c.id)).toEqual(['d2', 'd1']);
    expect((await json(await call('GET', '/cdrs?disposition=busy'))).items.map((c) => c.id)).toEqual(['d2']);
    expect((await json(await call('GET', `/cdrs?since=${T0 + 1}&until=2026-03-01T08:01:00Z`))).items.map((c) => c.id)).toEqual(['a1']);
    expect((await json(await call('GET', '/cdrs?tenant=main&extension=1002'))).items.map((c) => c.id)).toEqual(['d2', 'd1']);
    const p1 = await json(await call('GET', '/cdrs?limit=2'));
    expect(p1.items.map((c) => c.id)).toEqual(['d2', 'a1']);
    const p2 = await json(await call('GET', `/cdrs?limit=2&cursor=${p1.nextCursor}`));
    expect(p2).toMatchObject({ items: [{ id: 'd1', billableS: 1, durationS: 3, recordingId: recId, recordingStatus: 'complete', tenant: 'main' }], nextCursor: null });
  });

  it('400 with a message for bad filters', async () => {
    const bad = await call('GET', '/cdrs?disposition=hungup');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: { code: 'invalid', message: expect.stringMatching(/^disposition must be one of answered, busy/) } });
    expect((await call('GET', '/cdrs?since=last-week')).status).toBe(400);
    expect((await call('GET', '/cdrs?limit=5000')).status).toBe(400);
    expect((await call('GET', '/cdrs?cursor=xyz')).status).toBe(400);
  });

  it('GET /cdrs/:id: the call with legs and recordings', async () => {
    const r = await call('GET', '/cdrs/d1');
    expect(r.status).toBe(200);
    const body = (await r.json()) as { legs: unknown[]; recordings: Array<{ id: number; status: string }> };
    expect(body).toMatchObject({ id: 'd1', disposition: 'answered', hangupBy: 'caller', legs: [{ id: 'd1-a' }, { id: 'd1-b' }], recordings: [{ id: recId, status: 'complete', bytes: WAV_SIZE }] });
    expect((await call('GET', '/cdrs/nope')).status).toBe(404);
  });

  it('a tenant token sees only its tenant (others 404)', async () => {
    const ta = env.services.tokens.create({ name: 'acme-read', tenantId: acme, scopes: ['read'] }).token;
    expect((await json(await call('GET', '/cdrs', { token: ta }))).items.map((c) => c.id)).toEqual(['a1']);
    expect((await call('GET', '/cdrs?tenant=main', { token: ta })).status).toBe(404);
    expect((await call('GET', '/cdrs/d1', { token: ta })).status).toBe(404);
    expect((await call('GET', '/cdrs/a1', { token: ta })).status).toBe(200);
    expect((await call('GET', `/recordings/${recId}`, { token: ta })).status).toBe(404);
    expect((await json(await call('GET', '/recordings', { token: ta }))).items).toEqual([]);
  });
});

describe('GET /recordings/:id', () => {
  it('streams the whole WAV with its type, length and Accept-Ranges', async () => {
    const r = await call('GET', `/recordings/${recId}`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('audio/wav');
    expect(r.headers.get('accept-ranges')).toBe('bytes');
    expect(r.headers.get('content-length')).toBe(String(WAV_SIZE));
    const body = Buffer.from(await r.arrayBuffer());
    expect(body.length).toBe(WAV_SIZE);
    expect(body.toString('latin1', 0, 4)).toBe('RIFF');
    expect(body.readUInt16LE(22)).toBe(2); // two channels
  });

  it('Range bytes=0-43 → 206 with the header bytes; bytes=100- ; suffix bytes=-10', async () => {
    const head = await call('GET', `/recordings/${recId}`, { headers: { Range: 'bytes=0-43' } });
    expect(head.status).toBe(206);
    expect(head.headers.get('content-range')).toBe(`bytes 0-43/${WAV_SIZE}`);
    expect(head.headers.get('content-length')).toBe('44');
    const h = Buffer.from(await head.arrayBuffer());
    expect(h.length).toBe(44);
    expect(h.toString('latin1', 0, 4)).toBe('RIFF');
    expect(h.toString('latin1', 36, 40)).toBe('data');
    expect(h.readUInt32LE(40)).toBe(WAV_SIZE - 44);

    const tail = await call('GET', `/recordings/${recId}`, { headers: { Range: 'bytes=100-' } });
    expect(tail.status).toBe(206);
    expect(tail.headers.get('content-range')).toBe(`bytes 100-${WAV_SIZE - 1}/${WAV_SIZE}`);
    const t = Buffer.from(await tail.arrayBuffer());
    expect(t.length).toBe(WAV_SIZE - 100);
    expect(t.every((b) => b === 0x11)).toBe(true);

    const suffix = await call('GET', `/recordings/${recId}`, { headers: { Range: 'bytes=-10' } });
    expect(suffix.status).toBe(206);
    expect(suffix.headers.get('content-range')).toBe(`bytes ${WAV_SIZE - 10}-${WAV_SIZE - 1}/${WAV_SIZE}`);
    expect(Buffer.from(await suffix.arrayBuffer())).toEqual(Buffer.alloc(10, 0x11));
  });

  it('over real HTTP the file is streamed (Range too)', async () => {
    const server = await serveApi(app, { host: '127.0.0.1', port: 0 });
    try {
      const url = `http://127.0.0.1:${server.port}/recordings/${recId}`;
      const auth = { Authorization: `Bearer ${admin}` };
      const whole = await fetch(url, { headers: auth });
      expect(whole.status).toBe(200);
      expect((await whole.arrayBuffer()).byteLength).toBe(WAV_SIZE);
      const part = await fetch(url, { headers: { ...auth, Range: 'bytes=40-43' } });
      expect(part.status).toBe(206);
      expect(Buffer.from(await part.arrayBuffer()).readUInt32LE(0)).toBe(WAV_SIZE - 44);
    } finally {
      await server.close();
    }
  });

  it('416 with Content-Range bytes */size for a range outside the file; HEAD gives the headers only', async () => {
    const r = await call('GET', `/recordings/${recId}`, { headers: { Range: `bytes=${WAV_SIZE}-` } });
    expect(r.status).toBe(416);
    expect(r.headers.get('content-range')).toBe(`bytes */${WAV_SIZE}`);
    expect(await r.json()).toEqual({ error: { code: 'range_not_satisfiable', message: expect.stringMatching(/outside the recording/) } });
    const head = await call('HEAD', `/recordings/${recId}`);
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(WAV_SIZE));
  });

  it('404 saying when the retention policy deleted it; 404 for a missing file or an unknown id', async () => {
    const later = Date.UTC(2026, 8, 20, 3, 0, 0);
    await new RecordingRetention(env.services.db, { intervalMs: 1, now: () => later }).sweep();
    const r = await call('GET', `/recordings/${recId}`);
    expect(r.status).toBe(404);
    expect(await r.json()).toEqual({ error: { code: 'not_found', message: `recording ${recId} was deleted on 2026-09-20 by the retention policy` } });
    expect((await call('GET', '/recordings/999')).status).toBe(404);
    expect((await call('GET', '/recordings/abc')).status).toBe(404);

    const p = prepareRecordingPath(env.config, { tenantId: def, callId: 'vanished', at: T0 });
    publishCall(bus, { callId: 'vanished', tenantId: def, at: T0, answerAfter: 1, endAfter: 2, disposition: 'answered', hangupBy: 'caller', recordingPath: join(p) });
    const vid = env.services.cdrs.get('vanished').recordingId!;
    expect((await call('GET', `/recordings/${vid}`)).status).toBe(404);
  });

  it('GET /recordings lists them, newest first', async () => {
    const list = (await (await call('GET', '/recordings?tenant=main')).json()) as { items: Array<{ id: number; callId: string; status: string }> };
    expect(list.items).toEqual([expect.objectContaining({ id: recId, callId: 'd1', status: 'complete' })]);
    expect((await call('GET', '/recordings?status=bogus')).status).toBe(400);
    unlinkSync(wavPath);
    expect((await call('GET', `/recordings/${recId}`)).status).toBe(404);
  });
});

describe('PATCH /tenants/:tenant', () => {
  it('changes the recording switch and retention; refuses config-declared tenants and bad values', async () => {
    const r = await call('PATCH', '/tenants/acme', { body: { recordingEnabled: false, recordingRetentionDays: 30 } });
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ name: 'acme', recordingEnabled: false, recordingRetentionDays: 30 });
    expect(env.services.tenants.recordingPolicy(acme)).toEqual({ enabled: false, retentionDays: 30 });
    const managed = await call('PATCH', '/tenants/managed', { body: { recordingEnabled: true } });
    expect(managed.status).toBe(409);
    expect(await managed.json()).toEqual({ error: { code: 'config_managed', message: 'tenant managed is declared in the config file; edit the config instead' } });
    expect((await call('PATCH', '/tenants/acme', { body: { recordingRetentionDays: 0 } })).status).toBe(400);
    expect((await call('PATCH', '/tenants/acme', { body: { recording: 'on' } })).status).toBe(400);
  });

  it('is in the OpenAPI document with the /cdrs and /recordings routes', async () => {
    const doc = (await (await app.request('/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/cdrs', '/cdrs/{id}', '/recordings', '/recordings/{id}']));
    expect(doc.paths['/tenants/{tenant}']).toHaveProperty('patch');
  });
});
