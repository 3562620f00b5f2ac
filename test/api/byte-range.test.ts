import { describe, expect, it } from 'vitest';
import { parseRange } from '../../src/api/byte-range.ts';

describe('parseRange', () => {
  it('the three single-range forms, clipped to the file', () => {
    expect(parseRange('bytes=0-43', 1000)).toEqual({ start: 0, end: 43 });
    expect(parseRange('bytes=100-', 1000)).toEqual({ start: 100, end: 999 });
    expect(parseRange('bytes=-10', 1000)).toEqual({ start: 990, end: 999 });
    expect(parseRange('bytes=-5000', 1000)).toEqual({ start: 0, end: 999 });
    expect(parseRange('bytes=900-5000', 1000)).toEqual({ start: 900, end: 999 });
    expect(parseRange('Bytes = 1 - 1', 1000)).toEqual({ start: 1, end: 1 });
  });

  it('unsatisfiable: starting at or past the end, an empty suffix, any range of an empty file', () => {
    expect(parseRange('bytes=1000-', 1000)).toBe('unsatisfiable');
    expect(parseRange('bytes=2000-3000', 1000)).toBe('unsatisfiable');
    expect(parseRange('bytes=-0', 1000)).toBe('unsatisfiable');
    expect(parseRange('bytes=0-', 0)).toBe('unsatisfiable');
  });

  it('what it does not serve is ignored (whole file): no header, several ranges, other units, bad syntax', () => {
    for (const h of [undefined, 'bytes=0-1,5-6', 'items=0-1', 'bytes=5-2', 'bytes=-', 'bytes=abc', ''])
      expect(parseRange(h, 1000), String(h)).toBeUndefined();
  });
});
