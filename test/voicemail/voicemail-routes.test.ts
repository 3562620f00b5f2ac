import { existsSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiApp } from '../../src/api/index.ts';
import { applyConfig } from '../../src/config/index.ts';
import type { VoicemailMessage } from '../../src/voicemail/index.ts';
import { tempServices } from '../fixtures.ts';

let env: ReturnType<typeof tempServices>;
let app: ReturnType<typeof createApiApp>;
let admin: string;
let main: number;
let acme: number;
let box: VoicemailMessage;
let general: VoicemailMessage;
let other: VoicemailMessage;
const AUDIO = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
const T0 = Date.UTC(2026, 4, 1, 9, 0, 0);

beforeEach(() => {
  env = tempServices('tenants:\n  - name: main\n    default: true\n    extensions:\n      - { number: 1001, password: secret-1001-pw }\n');
  applyConfig(env.services.db, env.config, env.services.audit);
  app = createApiApp({ services: env.services });
  admin = env.services.tokens.create({ name: 'test-admin' }).token;
  main = env.services.tenants.resolve('main').id;
  acme = env.services.tenants.add({ name: 'acme', domain: 'acme.example' }).id;
  env.services.extensions.add(acme, { number: '1001', password: 'secret-acme-pw' });
  const leave = (tenantId: number, number: string | null, caller: string, at: number) => {
    const store = env.services.voicemail;
    const extensionId = number === null ? null : env.services.extensions.show(tenantId, number).id;
    const path = store.pathFor({ tenantId, extensionId, at, callId: caller });
    writeFileSync(path, AUDIO);
    return store.add({ tenantId, extensionId, callerNumber: caller, path, receivedAt: at, durationS: 2.5 });
  };
  box = leave(main, '1001', '13800000001', T0);
  general = leave(main, null, '13800000002', T0 + 1000);
  other = leave(acme, '1001', '13800000003', T0 + 2000);
});
afterEach(() => env.cleanup());

function call(method: string, path: string, opts: { token?: string; headers?: Record<string, string> } = {}) {
  return app.request(path, { method, headers: { Authorization: `Bearer ${opts.token ?? admin}`, ...opts.headers } });
}

async function items(path: string, token?: string): Promise<Array<{ id: number; box: string }>> {
  const r = await call('GET', path, token === undefined ? {} : { token });
  expect(r.status).toBe(200);
  return ((await r.json()) as { items: Array<{ id: number; box: string }> }).items;
}

describe('/voicemail', () => {
  it('lists one box, the general box, a tenant, or everything', async () => {
    expect((await items('/voicemail?extension=1001')).map((m) => m.id)).toEqual([box.id]);
    expect((await items('/voicemail?extension=1001&tenant=acme')).map((m) => m.id)).toEqual([other.id]);
    expect((await items('/voicemail?general=true')).map((m) => [m.id, m.box])).toEqual([[general.id, 'general']]);
    expect((await items('/voicemail?tenant=main')).map((m) => m.id)).toEqual([general.id, box.id]);
    expect((await items('/voicemail')).map((m) => m.id)).toEqual([other.id, general.id, box.id]);
    expect((await call('GET', '/voicemail?status=lost')).status).toBe(400);
    expect((await call('GET', '/voicemail?extension=1001&general=true')).status).toBe(400);
    expect((await call('GET', '/voicemail?extension=4444')).status).toBe(404);
  });

  it('shows one message, marks it heard, deletes it (file removed), with audit entries', async () => {
    const shown = await call('GET', `/voicemail/${box.id}`);
    expect(await shown.json()).toEqual({
      id: box.id, tenantId: main, box: '1001', extensionId: box.extensionId, callerNumber: '13800000001', callerName: null, callId: null,
      receivedAt: T0, durationS: 2.5, status: 'new', heardAt: null,
    });
    const heard = await call('POST', `/voicemail/${box.id}/heard`);
    expect(heard.status).toBe(200);
    expect(await heard.json()).toMatchObject({ status: 'saved', heardAt: expect.any(Number) });
    expect(env.services.voicemail.counts(main, box.extensionId)).toEqual({ new: 0, saved: 1 });

    const del = await call('DELETE', `/voicemail/${box.id}`);
    expect(del.status).toBe(200);
    expect(await del.json()).toMatchObject({ status: 'deleted' });
    expect(existsSync(box.path)).toBe(false);
    expect((await call('DELETE', `/voicemail/${box.id}`)).status).toBe(404);
    expect((await call('GET', `/voicemail/${box.id}/audio`)).status).toBe(404);
    expect(await (await call('GET', `/voicemail/${box.id}`)).json()).toMatchObject({ status: 'deleted' });
    expect((await call('GET', '/voicemail/nope')).status).toBe(404);
    const actions = env.services.audit.list().filter((a) => a.actor.startsWith('token:')).map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(['voicemail.heard', 'voicemail.delete']));
  });

  it('streams the WAV with byte ranges', async () => {
    const full = await call('GET', `/voicemail/${box.id}/audio`);
    expect(full.status).toBe(200);
    expect(full.headers.get('content-type')).toBe('audio/wav');
    expect(full.headers.get('accept-ranges')).toBe('bytes');
    expect(Buffer.from(await full.arrayBuffer())).toEqual(AUDIO);
    const part = await call('GET', `/voicemail/${box.id}/audio`, { headers: { Range: 'bytes=100-199' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 100-199/1000');
    expect(Buffer.from(await part.arrayBuffer())).toEqual(AUDIO.subarray(100, 200));
    const tail = await call('GET', `/voicemail/${box.id}/audio`, { headers: { Range: 'bytes=-10' } });
    expect(Buffer.from(await tail.arrayBuffer())).toEqual(AUDIO.subarray(990));
    const outside = await call('GET', `/voicemail/${box.id}/audio`, { headers: { Range: 'bytes=5000-' } });
    expect(outside.status).toBe(416);
    expect(outside.headers.get('content-range')).toBe('bytes */1000');
    // listening does not mark it heard: that is POST /heard
    expect(env.services.voicemail.get(box.id).status).toBe('new');
  });

  it('keeps a tenant token to its tenant and a read-only token to reading', async () => {
    const acmeToken = env.services.tokens.create({ name: 'acme', tenantId: acme }).token;
    expect((await items('/voicemail', acmeToken)).map((m) => m.id)).toEqual([other.id]);
    expect((await items('/voicemail?extension=1001', acmeToken)).map((m) => m.id)).toEqual([other.id]);
    expect((await call('GET', '/voicemail?tenant=main', { token: acmeToken })).status).toBe(404);
    expect((await call('GET', `/voicemail/${box.id}`, { token: acmeToken })).status).toBe(404);
    expect((await call('GET', `/voicemail/${box.id}/audio`, { token: acmeToken })).status).toBe(404);
    expect((await call('DELETE', `/voicemail/${box.id}`, { token: acmeToken })).status).toBe(404);
    expect((await call('POST', `/voicemail/${other.id}/heard`, { token: acmeToken })).status).toBe(200);

    const reader = env.services.tokens.create({ name: 'reader', scopes: ['read'] }).token;
    expect((await call('GET', `/voicemail/${box.id}/audio`, { token: reader })).status).toBe(200);
    expect((await call('DELETE', `/voicemail/${box.id}`, { token: reader })).status).toBe(403);
  });

  it('answers 503 without the voicemail store, and is described in /openapi.json', async () => {
    const { voicemail: _vm, ...rest } = env.services;
    const bare = createApiApp({ services: rest });
    const r = await bare.request('/voicemail', { headers: { Authorization: `Bearer ${admin}` } });
    expect(r.status).toBe(503);
    const doc = (await (await app.request('/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths['/voicemail']!)).toEqual(['get']);
    expect(Object.keys(doc.paths['/voicemail/{id}']!).sort()).toEqual(['delete', 'get']);
    expect(doc.paths['/voicemail/{id}/audio']!.get).toBeDefined();
    expect(doc.paths['/voicemail/{id}/heard']!.post).toBeDefined();
  });
});
