// Playout delay estimator for the jitter buffer (R-MEDIA-3): how long after its earliest possible
// arrival a frame should be played so that nearly all packets are there in time.
//
// Per packet, transit = arrival time - media time (RTP timestamp in ms). Its sliding minimum over
// ~16 s (8 buckets of 2 s) is the "base": the transit of a packet that met no queue. A packet's
// queuing delay is transit - base; the sliding minimum follows clock drift between sender and
// receiver, so drift is not mistaken for jitter.
//
// The target delay is a high quantile (default 98 %) of the queuing delays, kept in a histogram
// of 5 ms bins with exponential forgetting (default 0.996 per packet, a memory of ~250 packets
// = 5 s at 20 ms). Forgetting makes the asymmetry the buffer wants: a jitter spike puts 2 % of
// the mass above the old target within ~5 packets (fast growth), while after the spike that mass
// has to decay away (~15 s after a 3 s spike: slow shrink). Forgetting is done by growing the
// weight of each new sample instead of scaling every bin, so a sample costs one add.
//
// Alongside, the RFC 3550 §A.8 interarrival jitter is kept for statistics and RTCP reports.

export interface DelayEstimatorOptions {
  minDelayMs: number;
  maxDelayMs: number;
  /** Fraction of packets that should arrive in time (default 0.98). */
  quantile?: number;
  /** Weight kept by the past per new sample (default 0.996). */
  forgetFactor?: number;
  /** Histogram bin width (default 5 ms). */
  binMs?: number;
}

const BUCKETS = 8;
const BUCKET_MS = 2000;
const RENORMALISE_AT = 1e12;

export class PlayoutDelayEstimator {
  private readonly minDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly quantile: number;
  private readonly growth: number; // 1 / forgetFactor
  private readonly binMs: number;
  private readonly hist: Float64Array;
  private weight = 1;
  private total = 0;
  private readonly minTransit = new Float64Array(BUCKETS).fill(Infinity);
  private bucket = Number.NaN; // index of the newest 2 s bucket
  private base = Infinity;
  private lastTransit = Number.NaN;
  private jitter = 0;

  constructor(opts: DelayEstimatorOptions) {
    this.minDelayMs = opts.minDelayMs;
    this.maxDelayMs = opts.maxDelayMs;
    this.quantile = opts.quantile ?? 0.98;
    this.growth = 1 / (opts.forgetFactor ?? 0.996);
    this.binMs = opts.binMs ?? 5;
    this.hist = new Float64Array(Math.ceil(this.maxDelayMs / this.binMs) + 1);
  }

  /** Records one packet; returns its queuing delay (transit - base) in ms. */
  observe(arrivalMs: number, mediaMs: number): number {
    const transit = arrivalMs - mediaMs;
    if (!Number.isNaN(this.lastTransit)) this.jitter += (Math.abs(transit - this.lastTransit) - this.jitter) / 16;
    this.lastTransit = transit;

    const b = Math.floor(arrivalMs / BUCKET_MS);
    if (Number.isNaN(this.bucket) || b - this.bucket >= BUCKETS) {
      this.minTransit.fill(Infinity);
      this.bucket = b;
    } else {
      while (this.bucket < b) {
        this.bucket++;
        this.minTransit[mod(this.bucket, BUCKETS)] = Infinity;
      }
    }
    // An arrival time older than the newest bucket (caller's clock stepped back) counts there.
    const i = mod(this.bucket, BUCKETS);
    if (transit < this.minTransit[i]!) this.minTransit[i] = transit;
    let base = Infinity;
    for (let k = 0; k < BUCKETS; k++) if (this.minTransit[k]! < base) base = this.minTransit[k]!;
    this.base = base;

    const queued = transit - base;
    const bin = Math.min(this.hist.length - 1, Math.floor(queued / this.binMs));
    this.hist[bin]! += this.weight;
    this.total += this.weight;
    this.weight *= this.growth;
    if (this.weight > RENORMALISE_AT) {
      for (let k = 0; k < this.hist.length; k++) this.hist[k]! /= this.weight;
      this.total /= this.weight;
      this.weight = 1;
    }
    return queued;
  }

  /** Smallest transit seen in the window (ms); Infinity before the first packet. */
  baseTransitMs(): number {
    return this.base;
  }

  /** The delay that the quantile of queuing delays asks for, clamped to [min, max]. */
  targetMs(): number {
    if (this.total === 0) return this.minDelayMs;
    const want = this.quantile * this.total;
    let cum = 0;
    let i = 0;
    for (; i < this.hist.length - 1; i++) {
      cum += this.hist[i]!;
      if (cum >= want) break;
    }
    return Math.min(this.maxDelayMs, Math.max(this.minDelayMs, (i + 1) * this.binMs));
  }

  /** RFC 3550 §A.8 interarrival jitter in ms. */
  jitterMs(): number {
    return this.jitter;
  }

  /**
   * Forgets the transit base (a new SSRC or timestamp origin makes old transits meaningless) but
   * keeps the delay histogram: the network path, and its jitter, usually stays the same.
   */
  rebase(): void {
    this.minTransit.fill(Infinity);
    this.bucket = Number.NaN;
    this.base = Infinity;
    this.lastTransit = Number.NaN;
  }

  reset(): void {
    this.rebase();
    this.hist.fill(0);
    this.weight = 1;
    this.total = 0;
    this.jitter = 0;
  }
}

function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}
