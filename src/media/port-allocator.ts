// RTP port pairs from a configured range: RTP on an even port, RTCP on the odd port above it.
// The engine splits the range into one slice per media worker (splitPortRange), and each
// worker allocates from its own slice only, so two threads never race for a port. A pair
// that cannot be bound (another program holds it) is skipped and the next one tried; when
// no pair is left the allocator throws PortsExhaustedError, which the call layer answers
// with 503 — never a crash.

export interface PortRange {
  min: number;
  max: number;
}

/** No RTP port pair is free (or bindable) in the range: the call should be refused with 503. */
export class PortsExhaustedError extends Error {
  readonly code = 'ports_exhausted';
  /** The SIP response the call layer should send. */
  readonly sipStatus = 503;
  constructor(message = 'no free RTP port pair in the configured range; widen media.rtp_port_min/max') {
    super(message);
    this.name = 'PortsExhaustedError';
  }
}

/** The even ports in [min, max] whose odd partner is also in range: [first, last], step 2. */
export function evenPairBounds(range: PortRange): { first: number; last: number; count: number } {
  const first = range.min % 2 === 0 ? range.min : range.min + 1;
  const last = range.max % 2 === 1 ? range.max - 1 : range.max - 2;
  const count = last >= first ? (last - first) / 2 + 1 : 0;
  return { first, last, count };
}

/**
 * Splits `range` into `slices` disjoint ranges with whole pairs each (the last one takes the
 * remainder). A slice may be empty (min > max) when there are fewer pairs than slices.
 */
export function splitPortRange(range: PortRange, slices: number): PortRange[] {
  if (!Number.isInteger(range.min) || !Number.isInteger(range.max) || range.min < 1 || range.max > 65535 || range.min > range.max) {
    throw new RangeError(`invalid RTP port range ${range.min}-${range.max}`);
  }
  const { first, count } = evenPairBounds(range);
  const per = Math.floor(count / slices);
  const out: PortRange[] = [];
  for (let i = 0; i < slices; i++) {
    const pairs = i === slices - 1 ? count - per * i : per;
    const min = first + per * i * 2;
    out.push({ min, max: min + pairs * 2 - 1 });
  }
  return out;
}

/** Allocates even RTP ports (RTCP = port + 1) from one range, next-fit, so a just-freed pair is reused last. */
export class PortAllocator {
  readonly range: PortRange;
  private readonly first: number;
  private readonly count: number;
  private readonly used: Uint8Array;
  private inUse = 0;
  private cursor = 0;

  constructor(range: PortRange) {
    this.range = range;
    const b = evenPairBounds(range);
    this.first = b.first;
    this.count = b.count;
    this.used = new Uint8Array(b.count);
  }

  /** Pairs in the range. */
  get capacity(): number {
    return this.count;
  }

  /** Pairs currently handed out. */
  get allocated(): number {
    return this.inUse;
  }

  /** Takes the next free pair without binding anything; throws PortsExhaustedError. */
  acquire(): number {
    for (let n = 0; n < this.count; n++) {
      const i = (this.cursor + n) % this.count;
      if (this.used[i] === 0) {
        this.used[i] = 1;
        this.inUse++;
        this.cursor = (i + 1) % this.count;
        return this.first + i * 2;
      }
    }
    throw new PortsExhaustedError();
  }

  /** Returns a pair; releasing a port that is not allocated is a no-op. */
  release(port: number): void {
    const i = (port - this.first) / 2;
    if (!Number.isInteger(i) || i < 0 || i >= this.count || this.used[i] === 0) return;
    this.used[i] = 0;
    this.inUse--;
  }

  /**
   * Acquires a pair and hands it to `bind`; when bind rejects (the port is held by another
   * program), the pair is released and the next one tried, each free pair at most once.
   * Throws PortsExhaustedError when no pair could be bound.
   */
  async allocate<T>(bind: (rtpPort: number) => Promise<T>): Promise<{ port: number; value: T }> {
    const attempts = this.count - this.inUse;
    for (let n = 0; n < attempts; n++) {
      const port = this.acquire();
      try {
        return { port, value: await bind(port) };
      } catch {
        this.release(port);
        // the cursor has moved past this pair, so the next acquire tries the following one
      }
    }
    throw new PortsExhaustedError();
  }
}
