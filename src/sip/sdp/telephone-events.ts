// The event list of an RFC 4733 telephone-event a=fmtp ("0-15", "0-16", "0-15,66,70").

/** RFC 4733 §7.1.1: a telephone-event without a=fmtp means the DTMF events 0–15. */
export const DEFAULT_TELEPHONE_EVENTS = '0-15';

/** The events an fmtp lists, sorted; undefined when the text is not an event list. */
export function parseTelephoneEvents(fmtp: string): number[] | undefined {
  const events = new Set<number>();
  for (const part of fmtp.split(',')) {
    const m = /^\s*(\d{1,3})(?:-(\d{1,3}))?\s*$/.exec(part);
    if (m === null) return undefined;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (from > 255 || to > 255 || to < from) return undefined;
    for (let e = from; e <= to; e++) events.add(e);
  }
  return [...events].sort((a, b) => a - b);
}

/** Sorted events as ranges: [0..16] → '0-16', [0..11, 16] → '0-11,16'. */
export function formatTelephoneEvents(events: readonly number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < events.length) {
    let j = i;
    while (j + 1 < events.length && events[j + 1] === events[j] + 1) j++;
    parts.push(j === i ? `${events[i]}` : `${events[i]}-${events[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}
