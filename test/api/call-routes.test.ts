import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiApp } from '../../src/api/index.ts';
import { tempServices } from '../fixtures.ts';
import { FakeLiveCalls, liveCall } from '../support/fake-live-calls.ts';

let env: ReturnType<typeof tempServices>;
let calls: FakeLiveCalls;
let app: ReturnType<typeof createApiApp>;
let admin: string;
let mainId: number;
let acmeId: number;

beforeEach(() => {
  env = tempServices();
  mainId = env.services.tenants.defaultTenant().id;
  acmeId = env.services.tenants.add({ name: 'acme', domain: 'acme.example' }).id;
  calls = new FakeLiveCalls([
    liveCall({ id: 'c-acme', tenantId: acmeId, startedAt: 2_000, state: 'ringing', recording: true }),
    liveCall({ id: 'c-main', tenantId: mainId, startedAt: 1_000 }),
  ]);
  app = createApiApp({ services: env.services, calls });
  admin = env.services.tokens.create({ name: 'test-admin' }).token;
});
afterEach(() => env.cleanup());

function call(method: string, path: string, opts: { token?: string; body?: unknown; on?: typeof app } = {}) {
  const headers: Record<string, string> = { Authorization: `Bearer ${opts.token ?? admin}`, 'Content-Type': 'application/json' };
  return (opts.on ?? app).request(path, { method, headers, ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}) });
}
const ids = async (r: Response) => ((await r.json()) as { items: Array<{ id: string }> }).items.map((c) => c.id);

describe('/calls', () => {
  it('GET /calls lists calls in progress, oldest first, with tenant names; ?tenant= filters', async () => {
    const r = await call('GET', '/calls');
    expect(r.status).toBe(200);
    const body = (await r.json()) as { items: Array<Record<string, unknown>> };
    expect(body.items.map((c) => c.id)).toEqual(['c-main', 'c-acme']);
    expect(body.items[1]).toMatchObject({ id: 'c-acme', tenant: 'acme', tenantId: acmeId, state: 'ringing', recording: true, caller: { number: '1001', name: 'Alice' }, legs: 2 });
    expect(await ids(await call('GET', '/calls?tenant=acme'))).toEqual(['c-acme']);
    expect(await ids(await call('GET', `/calls?tenant=${mainId}`))).toEqual(['c-main']);
    const nf = await call('GET', '/calls?tenant=nope');
    expect(nf.status).toBe(404);
    expect(await nf.json()).toEqual({ error: { code: 'not_found', message: 'tenant nope does not exist' } });
  });

  it('GET /calls/:id shows one; 404 JSON for an unknown id', async () => {
    expect(await (await call('GET', '/calls/c-main')).json()).toMatchObject({ id: 'c-main', tenant: 'default', state: 'answered' });
    const r = await call('GET', '/calls/nope');
    expect(r.status).toBe(404);
    expect(await r.json()).toEqual({ error: { code: 'not_found', message: 'no call nope in progress' } });
  });

  it('POST /calls/:id/hangup ends the call, passes the reason, and is audited; 404 for an unknown id', async () => {
    const r = await call('POST', '/calls/c-acme/hangup', { body: { reason: 'fraud suspected' } });
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ id: 'c-acme', hungUp: true });
    expect(calls.hungUp).toEqual([{ id: 'c-acme', reason: 'fraud suspected' }]);
    expect(await ids(await call('GET', '/calls'))).toEqual(['c-main']);
    const entry = env.services.audit.list().find((a) => a.action === 'call.hangup');
    expect(entry).toMatchObject({ actor: expect.stringMatching(/^token:\d+$/), target: 'c-acme', tenantId: acmeId, detail: { caller: '1001', callee: '1002', reason: 'fraud suspected' } });

    // without a body: the call control default reason
    expect((await app.request('/calls/c-main/hangup', { method: 'POST', headers: { Authorization: `Bearer ${admin}` } })).status).toBe(200);
    expect(calls.hungUp[1]).toEqual({ id: 'c-main', reason: undefined });

    const again = await call('POST', '/calls/c-acme/hangup');
    expect(again.status).toBe(404);
    expect(await again.json()).toEqual({ error: { code: 'not_found', message: 'no call c-acme in progress' } });
    expect((await call('POST', '/calls/c-x/hangup', { body: { bogus: 1 } })).status).toBe(400);
  });

  it('a read-scope token may list but not hang up', async () => {
    const ro = env.services.tokens.create({ name: 'ro', scopes: ['read'] }).token;
    expect((await call('GET', '/calls', { token: ro })).status).toBe(200);
    const r = await call('POST', '/calls/c-main/hangup', { token: ro });
    expect(r.status).toBe(403);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    expect(calls.hungUp).toEqual([]);
  });

  it("a tenant token sees and ends only its tenant's calls", async () => {
    const ta = env.services.tokens.create({ name: 'acme-admin', tenantId: acmeId }).token;
    expect(await ids(await call('GET', '/calls', { token: ta }))).toEqual(['c-acme']);
    expect((await call('GET', '/calls?tenant=default', { token: ta })).status).toBe(404);
    expect((await call('GET', '/calls/c-main', { token: ta })).status).toBe(404);
    expect((await call('POST', '/calls/c-main/hangup', { token: ta })).status).toBe(404);
    expect(calls.hungUp).toEqual([]);
    expect((await call('POST', '/calls/c-acme/hangup', { token: ta })).status).toBe(200);
  });

  it('503 JSON when call control is not running; tokens are still checked first', async () => {
    const bare = createApiApp({ services: env.services });
    for (const [method, path] of [
      ['GET', '/calls'],
      ['GET', '/calls/c-main'],
      ['POST', '/calls/c-main/hangup'],
    ] as const) {
      const r = await call(method, path, { on: bare });
      expect(r.status, `${method} ${path}`).toBe(503);
      expect(await r.json()).toEqual({ error: { code: 'unavailable', message: 'call control is not running' } });
    }
    expect((await bare.request('/calls')).status).toBe(401);
  });

  it('is described in /openapi.json', async () => {
    const doc = (await (await app.request('/openapi.json')).json()) as { paths: Record<string, Record<string, { requestBody?: { required: boolean } }>> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/calls', '/calls/{id}', '/calls/{id}/hangup']));
    expect(doc.paths['/calls/{id}/hangup']!.post!.requestBody!.required).toBe(false);
  });
});
