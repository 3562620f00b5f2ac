// pbx outbox list|show|retry (in-process, on a temp data directory) and GET /outbox,
// GET /outbox/:id, POST /outbox/:id/retry (with tenant isolation and scopes); the CLI's retry
// is picked up by a worker polling the same database, as the running server's would.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../src/cli/run.ts';
import { createApiApp } from '../../src/api/index.ts';
import { loadConfigFile } from '../../src/config/load.ts';
import { bootServices, type Services } from '../../src/services.ts';
import { startOutbox } from '../../src/notify/index.ts';
import { tempDir } from '../fixtures.ts';
import { captureLog, startReceiver, until } from './receiver.ts';

let tmp: ReturnType<typeof tempDir>;
let configPath: string;
let services: Services;
let ids: { sent: number; dead: number; pending: number; other: number };
let acme: number;

async function pbx(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const status = await runCli([...args, '--config', configPath], { out: (t) => void (stdout += t.endsWith('\n') ? t : t + '\n'), err: (t) => void (stderr += t.endsWith('\n') ? t : t + '\n') });
  return { status, stdout, stderr };
}

beforeAll(() => {
  tmp = tempDir('pbx-outbox-cli-');
  configPath = join(tmp.dir, 'pbx.yaml');
  writeFileSync(configPath, 'data_dir: ./data\n');
  services = bootServices(loadConfigFile(configPath)).services;
  acme = services.tenants.add({ name: 'acme', domain: 'acme.example' }).id;
  const beta = services.tenants.add({ name: 'beta', domain: 'beta.example' }).id;
  const q = (m: Parameters<Services['outbox']['enqueue']>[0]) => (services.outbox.enqueue(m) as { id: number }).id;
  const sent = q({ tenantId: acme, channel: 'sms', purpose: 'hangup-sms', recipient: '13812345678', body: 'Thank you for calling Acme.', callId: 'call-1' });
  const dead = q({ tenantId: acme, channel: 'webhook', purpose: 'voicemail', recipient: 'http://127.0.0.1:9/hook', body: 'new voicemail', format: 'wecom' });
  const pending = q({ tenantId: acme, channel: 'sms', purpose: 'missed-call', recipient: '13800000000', body: 'missed call' });
  const other = q({ tenantId: beta, channel: 'sms', purpose: 'missed-call', recipient: '13900000000', body: 'beta missed call' });
  const s = services.db.sqlite;
  s.prepare("UPDATE outbox SET status = 'sent', attempts = 1, sent_at = created_at WHERE id = ?").run(sent);
  s.prepare("UPDATE outbox SET status = 'dead', attempts = 8, last_error = 'webhook answered 404 Not Found' WHERE id = ?").run(dead);
  s.prepare('UPDATE outbox SET attempts = 2, next_attempt_at = next_attempt_at + 3600000, last_error = ? WHERE id = ?').run('no answer within 5000 ms', pending);
  s.prepare('UPDATE outbox SET next_attempt_at = next_attempt_at + 3600000 WHERE id = ?').run(other); // not due while a worker runs below
  ids = { sent, dead, pending, other };
});
afterAll(() => {
  services.close();
  tmp.cleanup();
});

describe('pbx outbox', () => {
  it('list: a table newest first, with filters; --json', async () => {
    const r = await pbx('outbox', 'list');
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+CREATED\s+TENANT\s+CHANNEL\s+PURPOSE\s+TO\s+STATUS\s+TRIES\s+WHEN\s+LAST ERROR$/);
    expect(lines.slice(1).map((l) => Number(l.split(/\s+/)[0]))).toEqual([ids.other, ids.pending, ids.dead, ids.sent]);
    expect(r.stdout).toMatch(new RegExp(`^${ids.dead}\\s.*acme\\s+webhook/wecom\\s+voicemail\\s+http://127.0.0.1:9/hook\\s+dead\\s+8\\s+-\\s+webhook answered 404 Not Found$`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^${ids.pending}\\s.*missed-call\\s+13800000000\\s+pending\\s+2\\s+next \\d{4}-.*no answer within 5000 ms$`, 'm'));

    const dead = await pbx('outbox', 'list', '--status', 'dead', '--tenant', 'acme', '--json');
    expect(dead.status, dead.stderr).toBe(0);
    const parsed = JSON.parse(dead.stdout) as { items: Array<Record<string, unknown>> };
    expect(parsed.items).toHaveLength(1);
    expect(parsed.items[0]).toMatchObject({ id: ids.dead, tenant: 'acme', status: 'dead', attempts: 8, format: 'wecom', sentAt: null, createdAt: expect.stringMatching(/Z$/) });
    expect(JSON.parse((await pbx('outbox', 'list', '--purpose', 'missed-call', '--tenant', 'beta', '--json')).stdout).items.map((m: { id: number }) => m.id)).toEqual([ids.other]);
    const page = await pbx('outbox', 'list', '--limit', '2');
    expect(page.stdout).toContain(`more: --before ${ids.pending}`);
    expect((await pbx('outbox', 'list', '--before', String(ids.pending), '--json')).stdout).toContain(`"id": ${ids.dead}`);
    const bad = await pbx('outbox', 'list', '--status', 'lost');
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/must be one of pending, sending, sent, dead/);
  });

  it('show: the fields and the body', async () => {
    const r = await pbx('outbox', 'show', String(ids.sent));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/status\s+sent/);
    expect(r.stdout).toMatch(/call\s+call-1/);
    expect(r.stdout.trim().endsWith('Thank you for calling Acme.')).toBe(true);
    const missing = await pbx('outbox', 'show', '99999');
    expect(missing).toMatchObject({ status: 1, stderr: 'error: outbox message 99999 does not exist\n' });
  });

  it('retry: a dead message is pending again and a worker polling the database delivers it; a sent one is refused', async () => {
    const receiver = await startReceiver();
    // point the dead message at the receiver (as if the tenant fixed its webhook URL)
    services.db.sqlite.prepare('UPDATE outbox SET recipient = ? WHERE id = ?').run(`${receiver.url}/hook`, ids.dead);
    // a worker with no wake-up link to the CLI: it sees the change by polling
    const { worker } = startOutbox({ db: services.db, config: loadConfigFile(configPath), log: captureLog().log, pollIntervalMs: 50 });
    try {
      const r = await pbx('outbox', 'retry', String(ids.dead));
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^message ${ids.dead} \\(webhook to .*\\) is pending again`));
      await receiver.waitFor(1);
      await until(() => services.outbox.get(ids.dead).status === 'sent', 3000, 'the retried message sent');
      expect(JSON.parse(receiver.requests[0]!.body)).toEqual({ msgtype: 'text', text: { content: 'new voicemail' } });
      expect(services.audit.list({ limit: 5 }).find((a) => a.action === 'outbox.retry')).toMatchObject({ actor: expect.stringMatching(/^cli/), target: `outbox:${ids.dead}` });
    } finally {
      await worker.stop();
      await receiver.close();
    }
    const refused = await pbx('outbox', 'retry', String(ids.sent));
    expect(refused).toMatchObject({ status: 1, stderr: `error: outbox message ${ids.sent} was already sent; nothing to retry\n` });
    const bad = await pbx('outbox', 'retry', 'abc');
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/must be a message id/);
    expect(services.outbox.counts()).toMatchObject({ pending: 2, sent: 2 }); // the others were not due
  });
});

describe('/outbox', () => {
  let app: ReturnType<typeof createApiApp>;
  let admin: string;
  let reader: string;
  let acmeToken: string;
  const call = (method: string, path: string, token = admin) => app.request(path, { method, headers: { Authorization: `Bearer ${token}` } });

  beforeAll(() => {
    app = createApiApp({ services });
    admin = services.tokens.create({ name: 'outbox-admin' }).token;
    reader = services.tokens.create({ name: 'outbox-reader', scopes: ['read'] }).token;
    acmeToken = services.tokens.create({ name: 'outbox-acme', tenantId: acme }).token;
  });

  it('GET /outbox lists newest first with filters and pages; a tenant token sees its tenant only', async () => {
    const all = (await (await call('GET', '/outbox')).json()) as { items: Array<{ id: number; tenantId: number }>; nextBefore: number | null };
    expect(all.items.map((m) => m.id)).toEqual([ids.other, ids.pending, ids.dead, ids.sent]);
    expect(all.nextBefore).toBeNull();
    const page = (await (await call('GET', '/outbox?limit=2')).json()) as { items: Array<{ id: number }>; nextBefore: number };
    expect(page).toEqual({ items: [expect.objectContaining({ id: ids.other }), expect.objectContaining({ id: ids.pending })], nextBefore: ids.pending });
    const next = (await (await call('GET', `/outbox?before=${page.nextBefore}`)).json()) as { items: Array<{ id: number }> };
    expect(next.items.map((m) => m.id)).toEqual([ids.dead, ids.sent]);
    const filtered = (await (await call('GET', '/outbox?tenant=acme&purpose=missed-call&channel=sms&status=pending')).json()) as { items: Array<{ id: number; nextAttemptAt: number }> };
    expect(filtered.items.map((m) => m.id)).toEqual([ids.pending]);
    expect(typeof filtered.items[0]!.nextAttemptAt).toBe('number');
    const mine = (await (await call('GET', '/outbox', acmeToken)).json()) as { items: Array<{ tenantId: number }> };
    expect(mine.items.length).toBe(3);
    expect(mine.items.every((m) => m.tenantId === acme)).toBe(true);
    const bad = await call('GET', '/outbox?status=lost');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/query parameter status must be one of pending, sending, sent, dead/);
    expect((await call('GET', '/outbox?tenant=beta', acmeToken)).status).toBe(404);
  });

  it("GET /outbox/:id; another tenant's message is 404 for a tenant token", async () => {
    expect(((await (await call('GET', `/outbox/${ids.pending}`)).json()) as { status: string }).status).toBe('pending');
    expect((await call('GET', `/outbox/${ids.other}`, acmeToken)).status).toBe(404);
    expect((await call('GET', '/outbox/0')).status).toBe(400);
    expect((await call('GET', '/outbox/99999')).status).toBe(404);
  });

  it('POST /outbox/:id/retry: admin scope; pending now; 409 when sent; 404 across tenants', async () => {
    expect((await call('POST', `/outbox/${ids.pending}/retry`, reader)).status).toBe(403);
    expect((await call('POST', `/outbox/${ids.other}/retry`, acmeToken)).status).toBe(404);
    const before = Date.now();
    const r = await call('POST', `/outbox/${ids.pending}/retry`, acmeToken);
    expect(r.status).toBe(200);
    const m = (await r.json()) as { status: string; attempts: number; nextAttemptAt: number };
    expect(m).toMatchObject({ status: 'pending', attempts: 2 });
    expect(m.nextAttemptAt).toBeGreaterThanOrEqual(before);
    const sent = await call('POST', `/outbox/${ids.sent}/retry`);
    expect(sent.status).toBe(409);
    expect(services.audit.list({ limit: 1 })[0]).toMatchObject({ action: 'outbox.retry', actor: expect.stringMatching(/^token:/), tenantId: acme });
  });

  it('is described in /openapi.json', async () => {
    const doc = (await (await app.request('/openapi.json')).json()) as { paths: Record<string, Record<string, { parameters: Array<{ name: string }> }>> };
    expect(doc.paths['/outbox']!.get!.parameters.map((p) => p.name)).toEqual(['tenant', 'status', 'purpose', 'channel', 'limit', 'before']);
    expect(Object.keys(doc.paths['/outbox/{id}/retry']!)).toEqual(['post']);
    expect(Object.keys(doc.paths['/outbox/{id}']!)).toEqual(['get']);
  });
});
