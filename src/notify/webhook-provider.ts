// Webhooks: a JSON POST to the message's recipient URL. Format json posts our event as stored;
// wecom (WeCom group robot), dingtalk (DingTalk robot) and feishu (Feishu/Lark bot) wrap the
// stored text in that robot's text-message JSON. Every request carries Idempotency-Key:
// outbox-<id>, the same on each attempt, so a receiver can drop a repeat (delivery is at least
// once). A non-2xx answer, or a robot's reply with a non-zero errcode/code, is a failed attempt.
import type { OutboxItem, WebhookFormat } from './outbox.ts';
import { replySnippet, type OutboxProvider } from './outbox-provider.ts';

/** The JSON a robot takes for a text message. */
export function robotBody(format: Exclude<WebhookFormat, 'json'>, text: string): object {
  if (format === 'feishu') return { msg_type: 'text', content: { text } };
  return { msgtype: 'text', text: { content: text } };
}

/**
 * What to store as a webhook message's body: for json our event (with the rendered text under
 * `text`), for a robot the text alone (the provider wraps it when sending).
 */
export function webhookBody(format: WebhookFormat, event: Record<string, unknown>, text: string): string {
  return format === 'json' ? JSON.stringify({ ...event, text }) : text;
}

/** The robot's verdict in a 2xx reply: errcode (wecom, dingtalk) or code / StatusCode (feishu); undefined = accepted. */
export function robotError(format: Exclude<WebhookFormat, 'json'>, reply: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(reply);
  } catch {
    return undefined; // not JSON: the 2xx status stands
  }
  if (parsed === null || typeof parsed !== 'object') return undefined;
  const o = parsed as Record<string, unknown>;
  const code = format === 'feishu' ? (o.code ?? o.StatusCode) : o.errcode;
  if (code === undefined || code === 0 || code === '0') return undefined;
  const msg = format === 'feishu' ? (o.msg ?? o.StatusMessage) : o.errmsg;
  return `${format} robot refused the message: ${format === 'feishu' ? 'code' : 'errcode'} ${String(code)}${typeof msg === 'string' && msg ? ` (${msg})` : ''}`;
}

export class WebhookProvider implements OutboxProvider {
  async send(row: OutboxItem, signal: AbortSignal): Promise<void> {
    const format = (row.format ?? 'json') as WebhookFormat;
    const body = format === 'json' ? row.body : JSON.stringify(robotBody(format, row.body));
    const res = await fetch(row.recipient, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json; charset=utf-8', 'Idempotency-Key': `outbox-${row.id}`, 'User-Agent': 'tspbx' },
      body,
      signal,
    });
    if (res.status < 200 || res.status > 299) {
      const s = await replySnippet(res);
      throw new Error(`webhook answered ${res.status} ${res.statusText}${s ? `: ${s}` : ''}`);
    }
    const reply = await res.text();
    if (format !== 'json') {
      const refused = robotError(format, reply);
      if (refused) throw new Error(refused);
    }
  }
}
