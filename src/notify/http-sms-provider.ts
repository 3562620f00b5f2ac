// A generic HTTP SMS gateway (notify.sms.provider: http): the URL template takes {to} and {text}
// (URL-encoded), extra headers carry the gateway's credentials, and POST sends `fields` as JSON
// or as a form, each value with {to} and {text} filled in. GET sends no body: the URL must carry
// the message. Any answer outside 2xx is a failed attempt.
import type { Config } from '../config/schema.ts';
import { InvalidError } from '../errors.ts';
import type { OutboxItem } from './outbox.ts';
import { replySnippet, type OutboxProvider } from './outbox-provider.ts';

export type HttpSmsConfig = NonNullable<Config['notify']['sms']['http']>;

const PLACEHOLDER = /\{(to|text)\}/g;

function fill(template: string, to: string, text: string, encode: (s: string) => string): string {
  return template.replace(PLACEHOLDER, (_m, name: 'to' | 'text') => encode(name === 'to' ? to : text));
}

export class HttpSmsProvider implements OutboxProvider {
  constructor(private readonly cfg: HttpSmsConfig) {
    if (cfg.method === 'GET' && !cfg.url.includes('{text}'))
      throw new InvalidError('notify.sms.http.url: a GET gateway gets the message in the URL; put {to} and {text} in it (fields are sent by POST only)');
  }

  /** The request for one SMS (exposed for tests and `pbx config check`-like previews). */
  request(to: string, text: string): { url: string; init: RequestInit } {
    const url = fill(this.cfg.url, to, text, encodeURIComponent);
    const headers: Record<string, string> = { 'User-Agent': 'tspbx' };
    let body: string | undefined;
    if (this.cfg.method === 'POST') {
      const fields = Object.fromEntries(Object.entries(this.cfg.fields).map(([k, v]) => [k, fill(v, to, text, (s) => s)]));
      if (this.cfg.body === 'json') {
        headers['Content-Type'] = 'application/json; charset=utf-8';
        body = JSON.stringify(fields);
      } else {
        headers['Content-Type'] = 'application/x-www-form-urlencoded; charset=utf-8';
        body = new URLSearchParams(fields).toString();
      }
    }
    return { url, init: { method: this.cfg.method, headers: { ...headers, ...this.cfg.headers }, ...(body !== undefined ? { body } : {}) } };
  }

  async send(row: OutboxItem, signal: AbortSignal): Promise<void> {
    const { url, init } = this.request(row.recipient, row.body);
    const res = await fetch(url, { ...init, signal });
    if (res.status < 200 || res.status > 299) throw new Error(`SMS gateway answered ${res.status} ${res.statusText}${await snippet(res)}`);
    await res.body?.cancel().catch(() => {});
  }
}

async function snippet(res: Response): Promise<string> {
  const s = await replySnippet(res);
  return s ? `: ${s}` : '';
}
