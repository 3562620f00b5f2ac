// Automatic extension numbering (SPEC R-DIR-2), as pure functions over plain values.
//
// The rules, from the source brochure (seeds/003, 分机号分配规则) and how this file reads them:
// - Digit count from the tenant's number of ACTIVATED employees: ≤100 → 3 digits, 101–1000 → 4,
//   more than 1000 → 5 (激活100人以内 / 101-1000以内 / 1000人以上).
// - Giving order of first digits: 8, then 9 when the 8 range is full, then "from 1" (再满再从1开始):
//   1, 2, 3, 4, 5, 6, 7. 0 is never a first digit: "from 1" starts above it, an extension number
//   may not start with 0 (EXTENSION_NUMBER), and 0 is the national trunk prefix of outside
//   numbers. 4 IS used as a first digit: the rule filters the tail only (自动过滤尾号4), so 401 is
//   given and 404 is not. 8 and 9 are not visited twice.
// - Inside a first digit, ascending: 800, 801, 802, 803, 805 … 899, then 900 … 999, 100 …
// - A number whose last digit is 4 is never given.
// - "Full" means every number of the range is taken (by anyone, any kind). The allocator gives the
//   first free number in giving order, so a gap (a removed extension, a hand-set number moved
//   away) is given again before the order moves on.
// - When the whole space of the length is taken (3 digits: 9 × 90 = 810 numbers, 4: 8,100,
//   5: 81,000), numbering continues with the next length in the same order (8000…, then 9000…),
//   up to 8 digits, the longest extension number there is; beyond that, ExhaustedError.
// - Employees are taken in employee-id order (compareEmployeeNo below).
import { ConflictError } from '../../errors.ts';

/** First digits in giving order: 8, 9, then from 1 upwards (0 never; see above). */
export const FIRST_DIGITS: readonly number[] = [8, 9, 1, 2, 3, 4, 5, 6, 7];
/** The shortest and longest automatic numbers (EXTENSION_NUMBER allows 2 to 8 digits). */
export const MIN_DIGITS = 3;
export const MAX_DIGITS = 8;

/** No free number of any length up to MAX_DIGITS (a tenant would need tens of millions). */
export class ExhaustedError extends ConflictError {
  constructor(digits: number) {
    super(`no free extension number of ${digits} to ${MAX_DIGITS} digits is left; remove unused extensions or set numbers by hand`);
  }
}

/** The number of digits for a tenant with this many activated employees. */
export function digitsFor(activeEmployees: number): number {
  if (activeEmployees <= 100) return 3;
  if (activeEmployees <= 1000) return 4;
  return 5;
}

function checkDigits(digits: number): void {
  if (!Number.isInteger(digits) || digits < 2 || digits > MAX_DIGITS) throw new RangeError(`digits must be a whole number from 2 to ${MAX_DIGITS}, not ${digits}`);
}

/** Every number of this length that may be given, in giving order (last digit 4 left out). */
export function* candidateNumbers(digits: number): Generator<string, void, undefined> {
  checkDigits(digits);
  const restLength = digits - 1;
  const restCount = 10 ** restLength;
  for (const first of FIRST_DIGITS) {
    const head = String(first);
    for (let rest = 0; rest < restCount; rest++) {
      if (rest % 10 === 4) continue;
      yield head + String(rest).padStart(restLength, '0');
    }
  }
}

/** How many numbers of this length can be given at all (9 first digits, 9 of 10 last digits). */
export function spaceSize(digits: number): number {
  checkDigits(digits);
  return FIRST_DIGITS.length * 9 * 10 ** (digits - 2);
}

// Employee ids as the company writes them ("2", "10", "E-007", "张三01"): split into runs of
// ASCII digits and runs of anything else. Digit runs compare by value (leading zeros ignored,
// any length), other runs by their lower-case code units, and a digit run sorts before text at
// the same place. Two pure digit strings therefore compare numerically ('2' < '10'); anything
// else naturally ('E2' < 'E10' < 'F1', '10' < 'A1'). Ties ('007' and '7', 'e1' and 'E1') are
// broken by the plain code-unit order, so the order is total and stable across runs.
type Chunk = { digits: true; value: string } | { digits: false; value: string };

function chunksOf(no: string): Chunk[] {
  const out: Chunk[] = [];
  for (const m of no.matchAll(/[0-9]+|[^0-9]+/g)) {
    const s = m[0];
    const c = s.charCodeAt(0);
    if (c >= 48 && c <= 57) out.push({ digits: true, value: s.replace(/^0+(?=.)/, '') });
    else out.push({ digits: false, value: s.toLowerCase() });
  }
  return out;
}

function compareChunks(a: Chunk[], b: Chunk[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.digits !== y.digits) return x.digits ? -1 : 1;
    if (x.digits && x.value.length !== y.value.length) return x.value.length - y.value.length;
    if (x.value !== y.value) return x.value < y.value ? -1 : 1;
  }
  return a.length - b.length;
}

function codeUnitOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Employee-id order: numeric for two digit strings, natural otherwise (see above). */
export function compareEmployeeNo(a: string, b: string): number {
  return compareChunks(chunksOf(a), chunksOf(b)) || codeUnitOrder(a, b);
}

/**
 * Gives numbers of one length in giving order, skipping those `isTaken` reports. It never goes
 * back: what it gave is behind its cursor, so it needs no memory of it, and a run over the whole
 * space costs one pass. `next()` is undefined once every number of the length is taken.
 */
export class NumberAllocator {
  private readonly candidates: Generator<string, void, undefined>;
  private done = false;

  constructor(
    private readonly isTaken: (n: string) => boolean,
    readonly digits: number,
  ) {
    this.candidates = candidateNumbers(digits);
  }

  next(): string | undefined {
    if (this.done) return undefined;
    for (;;) {
      const r = this.candidates.next();
      if (r.done) {
        this.done = true;
        return undefined;
      }
      if (!this.isTaken(r.value)) return r.value;
    }
  }
}

/**
 * Numbers for employees who have none: employees in employee-id order (ties by row id), each the
 * next free number of the length the activated count calls for, falling to longer numbers when
 * that length is used up. `taken`: every number the tenant already has (any kind, any length).
 * Returns employee row id → number, in giving order.
 */
export function assignExtensionNumbers(
  employees: readonly { id: number; employeeNo: string }[],
  taken: ReadonlySet<string>,
  activeEmployees: number,
): Map<number, string> {
  const keyed = employees.map((e) => ({ id: e.id, no: e.employeeNo, key: chunksOf(e.employeeNo) }));
  keyed.sort((a, b) => compareChunks(a.key, b.key) || codeUnitOrder(a.no, b.no) || a.id - b.id);
  const out = new Map<number, string>();
  const isTaken = (n: string) => taken.has(n);
  let allocator = new NumberAllocator(isTaken, digitsFor(activeEmployees));
  for (const e of keyed) {
    if (out.has(e.id)) continue; // the same employee twice: one number
    let n = allocator.next();
    while (n === undefined) {
      if (allocator.digits >= MAX_DIGITS) throw new ExhaustedError(digitsFor(activeEmployees));
      allocator = new NumberAllocator(isTaken, allocator.digits + 1);
      n = allocator.next();
    }
    out.set(e.id, n);
  }
  return out;
}
