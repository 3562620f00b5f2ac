import { describe, expect, it } from 'vitest';
import {
  assignExtensionNumbers,
  candidateNumbers,
  compareEmployeeNo,
  digitsFor,
  NumberAllocator,
  spaceSize,
} from '../../../src/directory/numbering/extension-numbering.ts';

const employees = (n: number, from = 1) => Array.from({ length: n }, (_, i) => ({ id: from + i, employeeNo: String(from + i) }));
const given = (m: Map<number, string>) => [...m.values()];

describe('digitsFor', () => {
  it('follows the activated count: ≤100 → 3, 101–1000 → 4, >1000 → 5', () => {
    expect([0, 1, 100].map(digitsFor)).toEqual([3, 3, 3]);
    expect([101, 1000].map(digitsFor)).toEqual([4, 4]);
    expect([1001, 1_000_000].map(digitsFor)).toEqual([5, 5]);
  });
});

describe('candidateNumbers', () => {
  it('gives 8xx first, then 9xx, then 1xx, 2xx … 7xx; never 0 first, never a last digit 4', () => {
    const all = [...candidateNumbers(3)];
    expect(all.slice(0, 6)).toEqual(['800', '801', '802', '803', '805', '806']);
    expect(all).toHaveLength(810);
    expect(all).toHaveLength(spaceSize(3));
    expect(all.filter((n) => n.endsWith('4'))).toEqual([]);
    expect(all.filter((n) => n.startsWith('0'))).toEqual([]);
    expect(new Set(all).size).toBe(810);
    const firsts = [...new Set(all.map((n) => n[0]))];
    expect(firsts).toEqual(['8', '9', '1', '2', '3', '4', '5', '6', '7']);
    expect(all[all.indexOf('899') + 1]).toBe('900');
    expect(all[all.indexOf('999') + 1]).toBe('100');
    expect(all[all.indexOf('199') + 1]).toBe('200');
    expect(all).toContain('401'); // 4 as a first digit is fine, only the tail is filtered
    expect(all.at(-1)).toBe('799');
  });

  it('does the same at 4 and 5 digits', () => {
    const four = candidateNumbers(4);
    expect([four.next().value, four.next().value, four.next().value, four.next().value, four.next().value]).toEqual(['8000', '8001', '8002', '8003', '8005']);
    expect(spaceSize(4)).toBe(8100);
    expect(spaceSize(5)).toBe(81_000);
    let count = 0;
    let last = '';
    for (const n of candidateNumbers(5)) {
      if (count === 0) expect(n).toBe('80000');
      if (count === 9000) expect(n).toBe('90000');
      if (count === 18_000) expect(n).toBe('10000');
      count++;
      last = n;
    }
    expect(count).toBe(81_000);
    expect(last).toBe('79999');
  });

  it('refuses lengths an extension cannot have', () => {
    expect(() => candidateNumbers(9).next()).toThrow(RangeError);
    expect(() => candidateNumbers(1).next()).toThrow(RangeError);
  });
});

describe('NumberAllocator', () => {
  it('rolls a full 8 range into 9: 800–899 minus the x4 numbers taken → 900', () => {
    const taken = new Set<string>();
    for (let n = 800; n <= 899; n++) if (n % 10 !== 4) taken.add(String(n));
    expect(taken.size).toBe(90);
    const a = new NumberAllocator((n) => taken.has(n), 3);
    expect(a.next()).toBe('900');
    expect(a.next()).toBe('901');
  });

  it('skips x4 and hand-set numbers, and never gives the same number twice', () => {
    const taken = new Set(['801', '805', '8000']);
    const a = new NumberAllocator((n) => taken.has(n), 3);
    expect([a.next(), a.next(), a.next(), a.next(), a.next()]).toEqual(['800', '802', '803', '806', '807']);
  });

  it('is undefined once the whole length is used, and stays so', () => {
    const a = new NumberAllocator(() => false, 3);
    const out: string[] = [];
    for (let n = a.next(); n !== undefined; n = a.next()) out.push(n);
    expect(out).toHaveLength(810);
    expect(a.next()).toBeUndefined();
    expect(new NumberAllocator(() => true, 3).next()).toBeUndefined();
  });
});

describe('compareEmployeeNo', () => {
  const sorted = (xs: string[]) => [...xs].sort(compareEmployeeNo);
  it('orders digit strings numerically, at any length', () => {
    expect(sorted(['10', '2', '1', '100', '020'])).toEqual(['1', '2', '10', '020', '100']);
    expect(compareEmployeeNo('12345678901234567890', '9')).toBeGreaterThan(0);
    expect(compareEmployeeNo('12345678901234567891', '12345678901234567890')).toBeGreaterThan(0);
  });

  it('orders anything else naturally, digits before text, with a total order on ties', () => {
    expect(sorted(['E10', 'e2', 'E2', 'F1', '10', 'A1', 'E1-3', 'E1-10', 'E01'])).toEqual(['10', 'A1', 'E01', 'E1-3', 'E1-10', 'E2', 'e2', 'E10', 'F1']);
    expect(compareEmployeeNo('007', '7')).toBeLessThan(0);
    expect(compareEmployeeNo('7', '007')).toBeGreaterThan(0);
    expect(compareEmployeeNo('7', '7')).toBe(0);
    expect(sorted(['张三2', '张三10', '李四1'])).toEqual(['张三2', '张三10', '李四1']);
  });
});

describe('assignExtensionNumbers', () => {
  it('100 activated employees: 3 digits, 8xx then 9xx', () => {
    const m = assignExtensionNumbers(employees(100), new Set(), 100);
    const ns = given(m);
    expect(ns[0]).toBe('800');
    expect(ns[89]).toBe('899');
    expect(ns[90]).toBe('900');
    expect(ns.at(-1)).toBe('910');
    expect(ns.every((n) => n.length === 3 && !n.endsWith('4'))).toBe(true);
    expect(new Set(ns).size).toBe(100);
  });

  it('101 activated employees: 4 digits', () => {
    const ns = given(assignExtensionNumbers(employees(101), new Set(), 101));
    expect(ns.slice(0, 5)).toEqual(['8000', '8001', '8002', '8003', '8005']);
    expect(ns.every((n) => n.length === 4)).toBe(true);
  });

  it('1000 activated employees: 4 digits, 900 of them in 8xxx and the rest in 9xxx', () => {
    const ns = given(assignExtensionNumbers(employees(1000), new Set(), 1000));
    expect(ns.every((n) => n.length === 4)).toBe(true);
    expect(ns[899]).toBe('8999');
    expect(ns[900]).toBe('9000');
    expect(ns.at(-1)).toBe('9110');
  });

  it('1001 activated employees: 5 digits', () => {
    const ns = given(assignExtensionNumbers(employees(1001), new Set(), 1001));
    expect(ns[0]).toBe('80000');
    expect(ns.every((n) => n.length === 5)).toBe(true);
  });

  it('the count is of activated employees, not of those being numbered', () => {
    expect(given(assignExtensionNumbers(employees(1, 500), new Set(), 101))).toEqual(['8000']);
    expect(given(assignExtensionNumbers(employees(1, 500), new Set(), 100))).toEqual(['800']);
  });

  it('takes employees in employee-id order with mixed ids', () => {
    const m = assignExtensionNumbers(
      [
        { id: 1, employeeNo: '10' },
        { id: 2, employeeNo: 'B1' },
        { id: 3, employeeNo: '2' },
        { id: 4, employeeNo: 'A10' },
        { id: 5, employeeNo: 'A9' },
      ],
      new Set(),
      5,
    );
    expect([...m.entries()]).toEqual([
      [3, '800'],
      [1, '801'],
      [5, '802'],
      [4, '803'],
      [2, '805'],
    ]);
  });

  it('skips numbers taken by hand-set and function extensions of any length', () => {
    const ns = given(assignExtensionNumbers(employees(4), new Set(['800', '802', '8001', '80']), 4));
    expect(ns).toEqual(['801', '803', '805', '806']);
  });

  it('continues with the next length when the whole space of the length is used', () => {
    const taken = new Set(candidateNumbers(3));
    taken.delete('777');
    expect(given(assignExtensionNumbers(employees(3), taken, 3))).toEqual(['777', '8000', '8001']);
  });
});
