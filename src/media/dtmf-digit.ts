// DTMF digits and their RFC 4733 event codes (§3.2): 0–9, * (10), # (11), A–D (12–15) and
// flash (16). Shared by the RFC 4733 receiver and sender, SIP INFO and the tone detector.

/** A key: `!` is hook flash (event 16), as in Asterisk's DTMF strings. */
export type DtmfDigit = '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9' | '*' | '#' | 'A' | 'B' | 'C' | 'D' | '!';

export const DTMF_FLASH: DtmfDigit = '!';

const DIGITS: readonly DtmfDigit[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'A', 'B', 'C', 'D', '!'];

/** RFC 4733 event code → digit, or undefined for codes that are not a key (fax tones, …). */
export function eventToDigit(event: number): DtmfDigit | undefined {
  return event >= 0 && event <= 16 ? DIGITS[event | 0] : undefined;
}

/** Digit → RFC 4733 event code. Accepts a–d in lower case; undefined for anything else. */
export function digitToEvent(digit: string): number | undefined {
  if (digit.length !== 1) return undefined;
  const c = digit.charCodeAt(0);
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x44) return c - 0x41 + 12; // A–D
  if (c >= 0x61 && c <= 0x64) return c - 0x61 + 12; // a–d
  if (digit === '*') return 10;
  if (digit === '#') return 11;
  if (digit === '!') return 16;
  return undefined;
}

/** Normalises a one-character key (lower-case a–d accepted) to a DtmfDigit. */
export function toDtmfDigit(s: string): DtmfDigit | undefined {
  const e = digitToEvent(s);
  return e === undefined ? undefined : DIGITS[e];
}
