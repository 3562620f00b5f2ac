// Reading the header values call control cares about (option tags, Reason, Session-Expires)
// from parsed messages, where headers the parser does not know are plain comma-joined strings.
import { optionTags } from '../sip/header-values.ts';

/** True when a Supported/Require-style header lists `tag`. */
export function hasOptionTag(value: unknown, tag: string): boolean {
  const want = tag.toLowerCase();
  return optionTags(value).some((t) => t.toLowerCase() === want);
}

/** Session-Expires / Min-SE (RFC 4028): delta seconds and the refresher parameter. */
export function parseSessionExpires(value: unknown): { seconds: number; refresher?: 'uac' | 'uas' } | undefined {
  if (typeof value !== 'string') return undefined;
  const [delta, ...params] = value.split(';');
  const seconds = Number((delta ?? '').trim());
  if (!Number.isInteger(seconds) || seconds <= 0) return undefined;
  let refresher: 'uac' | 'uas' | undefined;
  for (const p of params) {
    const [k, v] = p.split('=').map((x) => x.trim().toLowerCase());
    if (k === 'refresher' && (v === 'uac' || v === 'uas')) refresher = v;
  }
  return refresher === undefined ? { seconds } : { seconds, refresher };
}

/** The SIP cause of a Reason header (RFC 3326), if it has one. */
export function reasonCause(value: unknown): { cause: number; text?: string } | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /SIP\s*;[^,]*?cause\s*=\s*(\d{3})(?:[^,]*?text\s*=\s*"([^"]*)")?/i.exec(value);
  if (!m) return undefined;
  return m[2] === undefined ? { cause: Number(m[1]) } : { cause: Number(m[1]), text: m[2] };
}
