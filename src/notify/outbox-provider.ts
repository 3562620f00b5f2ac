// What delivers an outbox message: one provider per channel (log-provider.ts, http-sms-provider.ts,
// webhook-provider.ts). send() resolves when the far end accepted the message; a throw is a
// failed attempt whose message the outbox keeps as last_error. `signal` aborts at timeout_ms.
import type { OutboxItem } from './outbox.ts';

export interface OutboxProvider {
  send(row: OutboxItem, signal: AbortSignal): Promise<void>;
}

/** A one-line reason for a failed attempt (fetch's "fetch failed" names its cause). */
export function errorText(e: unknown): string {
  if (e instanceof Error) {
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'no answer in time (aborted)';
    const cause = (e as Error & { cause?: unknown }).cause;
    const why = cause instanceof Error ? cause.message : typeof cause === 'string' ? cause : undefined;
    return why && !e.message.includes(why) ? `${e.message}: ${why}` : e.message;
  }
  return String(e);
}

/** The start of a reply body, for error messages. */
export async function replySnippet(res: Response, max = 200): Promise<string> {
  try {
    const text = (await res.text()).replace(/\s+/g, ' ').trim();
    return text.length > max ? `${text.slice(0, max)}…` : text;
  } catch {
    return '';
  }
}
