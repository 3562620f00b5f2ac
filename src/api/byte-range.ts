// HTTP Range requests (RFC 9110 §14) for file downloads: one byte range, in its three forms —
// "bytes=0-43", "bytes=100-" (to the end), "bytes=-10" (the last 10). A header we do not serve
// (another unit, several ranges, bad syntax) is ignored: the whole file is sent, as the RFC
// allows. A range that starts past the end is unsatisfiable (416).
export interface ByteRange {
  start: number;
  end: number; // inclusive
}

export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return undefined; // several ranges, other units, garbage
  const [, first, last] = m as unknown as [string, string, string];
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const n = Number(last);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Number(last);
  if (last !== '' && end < start) return undefined; // invalid: ignored
  if (start >= size) return 'unsatisfiable';
  return { start, end: Math.min(end, size - 1) };
}
