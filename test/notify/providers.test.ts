// The providers against a real HTTP receiver on loopback: webhooks (our JSON and the chat robots'
// formats, the robots' error replies), the generic HTTP SMS gateway (JSON and form bodies, GET
// with the URL template), and the log provider — each through the worker, as in production.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HttpSmsProvider, LogProvider, Outbox, OutboxWorker, WebhookProvider, robotBody, robotError, webhookBody, type HttpSmsConfig, type OutboxProvider } from '../../src/notify/index.ts';
import { InvalidError } from '../../src/errors.ts';
import { tempServices } from '../fixtures.ts';
import { captureLog, startReceiver, type Receiver } from './receiver.ts';

let env: ReturnType<typeof tempServices>;
let outbox: Outbox;
let receiver: Receiver;

beforeEach(async () => {
  env = tempServices();
  outbox = new Outbox(env.services.db);
  receiver = await startReceiver();
});
afterEach(async () => {
  await receiver.close();
  env.cleanup();
});

/** Delivers everything due once with these providers; the log lines. */
async function deliver(providers: { sms?: OutboxProvider; webhook?: OutboxProvider }) {
  const cap = captureLog();
  const w = new OutboxWorker({ db: env.services.db, providers: { sms: providers.sms ?? new LogProvider(cap.log), webhook: providers.webhook ?? new WebhookProvider() }, log: cap.log, timeoutMs: 2000 });
  await w.runOnce();
  return cap.lines;
}

const hook = (format: 'json' | 'wecom' | 'dingtalk' | 'feishu', body: string) =>
  (outbox.enqueue({ tenantId: 1, channel: 'webhook', purpose: 'incoming-call', recipient: `${receiver.url}/robot/send?key=abc`, body, format }) as { id: number }).id;

describe('WebhookProvider', () => {
  it('json: POSTs the stored event with Content-Type and Idempotency-Key: outbox-<id>', async () => {
    const body = webhookBody('json', { event: 'voicemail', caller: '13812345678' }, 'new voicemail');
    expect(JSON.parse(body)).toEqual({ event: 'voicemail', caller: '13812345678', text: 'new voicemail' });
    const id = hook('json', body);
    await deliver({});
    expect(receiver.requests).toHaveLength(1);
    const r = receiver.requests[0]!;
    expect(r).toMatchObject({ method: 'POST', url: '/robot/send?key=abc', body });
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expect(r.headers['idempotency-key']).toBe(`outbox-${id}`);
    expect(outbox.get(id).status).toBe('sent');
  });

  it("wecom, dingtalk and feishu: the text in the robot's text-message JSON", async () => {
    const text = '来电 13812345678 转 201';
    expect(webhookBody('wecom', { event: 'x' }, text)).toBe(text);
    const ids = { wecom: hook('wecom', text), dingtalk: hook('dingtalk', text), feishu: hook('feishu', text) };
    receiver.reply = (r) => ({ body: r.body.includes('msg_type') ? '{"code":0,"msg":"success"}' : '{"errcode":0,"errmsg":"ok"}' });
    await deliver({});
    const bodies = receiver.requests.map((r) => JSON.parse(r.body) as unknown);
    expect(bodies).toEqual([
      { msgtype: 'text', text: { content: text } },
      { msgtype: 'text', text: { content: text } },
      { msg_type: 'text', content: { text } },
    ]);
    for (const id of Object.values(ids)) expect(outbox.get(id).status).toBe('sent');
    expect(robotBody('feishu', 'x')).toEqual({ msg_type: 'text', content: { text: 'x' } });
  });

  it("a robot's non-zero errcode / code, and a non-2xx answer, are failed attempts with the reason", async () => {
    const wecom = hook('wecom', 'hi');
    const feishu = hook('feishu', 'hi');
    const json = hook('json', '{}');
    receiver.reply = (r) => (r.body.includes('msg_type') ? { body: '{"code":19001,"msg":"param invalid: incoming webhook access token invalid"}' } : r.body === '{}' ? { status: 503, body: 'busy' } : { body: '{"errcode":93000,"errmsg":"invalid webhook url"}' });
    const lines = await deliver({});
    expect(outbox.get(wecom)).toMatchObject({ status: 'pending', lastError: 'wecom robot refused the message: errcode 93000 (invalid webhook url)' });
    expect(outbox.get(feishu)).toMatchObject({ status: 'pending', lastError: 'feishu robot refused the message: code 19001 (param invalid: incoming webhook access token invalid)' });
    expect(outbox.get(json)).toMatchObject({ status: 'pending', lastError: 'webhook answered 503 Service Unavailable: busy' });
    expect(lines.filter((l) => l.level === 40)).toHaveLength(3);
    expect(robotError('dingtalk', 'not json')).toBeUndefined();
    expect(robotError('dingtalk', '{"errcode":0}')).toBeUndefined();
    expect(robotError('feishu', '{"StatusCode":0}')).toBeUndefined();
  });

  it('an unreachable receiver is a failed attempt naming the cause', async () => {
    const port = Number(new URL(receiver.url).port);
    await receiver.close();
    const id = (outbox.enqueue({ channel: 'webhook', purpose: 'test', recipient: `http://127.0.0.1:${port}/x`, body: '{}' }) as { id: number }).id;
    await deliver({});
    expect(outbox.get(id).lastError).toMatch(/fetch failed: .*ECONNREFUSED/);
    receiver = await startReceiver();
  });
});

describe('HttpSmsProvider (generic HTTP SMS gateway)', () => {
  const cfg = (over: Partial<HttpSmsConfig>): HttpSmsConfig => ({ url: `${receiver.url}/sms`, method: 'POST', headers: {}, body: 'json', fields: { to: '{to}', text: '{text}' }, ...over });
  const text = '北京某某公司: missed call from 13812345678 & co';
  const enqueue = () => (outbox.enqueue({ channel: 'sms', purpose: 'missed-call', recipient: '13800000000', body: text }) as { id: number }).id;

  it('POST json: fields with {to} and {text}, the configured headers', async () => {
    const id = enqueue();
    await deliver({ sms: new HttpSmsProvider(cfg({ headers: { Authorization: 'Bearer s3cret' }, fields: { mobile: '{to}', content: '【Acme】{text}', sign: 'Acme' } })) });
    const r = receiver.requests[0]!;
    expect(r.method).toBe('POST');
    expect(r.headers.authorization).toBe('Bearer s3cret');
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(r.body)).toEqual({ mobile: '13800000000', content: `【Acme】${text}`, sign: 'Acme' });
    expect(outbox.get(id).status).toBe('sent');
  });

  it('POST form: the fields URL-encoded; {to} {text} in the URL are URL-encoded too', async () => {
    enqueue();
    await deliver({ sms: new HttpSmsProvider(cfg({ url: `${receiver.url}/sms?dest={to}`, body: 'form' })) });
    const r = receiver.requests[0]!;
    expect(r.url).toBe('/sms?dest=13800000000');
    expect(r.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(Object.fromEntries(new URLSearchParams(r.body))).toEqual({ to: '13800000000', text });
  });

  it('GET: the URL template carries the message, no body', async () => {
    enqueue();
    await deliver({ sms: new HttpSmsProvider(cfg({ method: 'GET', url: `${receiver.url}/send?u=acme&to={to}&msg={text}` })) });
    const r = receiver.requests[0]!;
    expect(r.method).toBe('GET');
    expect(r.body).toBe('');
    const q = new URL(r.url, 'http://x').searchParams;
    expect([q.get('u'), q.get('to'), q.get('msg')]).toEqual(['acme', '13800000000', text]);
    expect(() => new HttpSmsProvider(cfg({ method: 'GET', url: `${receiver.url}/send` }))).toThrow(InvalidError);
  });

  it('a non-2xx answer is a failed attempt with the status and the start of the reply', async () => {
    const id = enqueue();
    receiver.reply = () => ({ status: 401, body: '{"error":"bad key"}' });
    await deliver({ sms: new HttpSmsProvider(cfg({})) });
    expect(outbox.get(id)).toMatchObject({ status: 'pending', attempts: 1, lastError: 'SMS gateway answered 401 Unauthorized: {"error":"bad key"}' });
  });
});

describe('LogProvider', () => {
  it('writes the SMS to the log and counts it as sent', async () => {
    const id = (outbox.enqueue({ channel: 'sms', purpose: 'hangup-sms', recipient: '13800000000', body: 'Thank you for calling Acme.' }) as { id: number }).id;
    const lines = await deliver({});
    expect(lines.find((l) => l.outboxId === id && l.level === 30)).toMatchObject({ to: '13800000000', body: 'Thank you for calling Acme.', msg: 'SMS to 13800000000 (log provider, not sent)' });
    expect(outbox.get(id).status).toBe('sent');
    expect(receiver.requests).toHaveLength(0);
  });
});
