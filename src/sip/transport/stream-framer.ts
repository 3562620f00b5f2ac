// Framing of SIP messages on a byte stream (TCP/TLS), RFC 3261 §18.3: headers end at the first
// CRLFCRLF, the body is exactly Content-Length bytes (required on streams). Linear in the
// input: leading whitespace is consumed as it comes, the header-end search resumes where it
// stopped, the buffer grows by doubling and is compacted, never re-scanned from the start.
// RFC 5626 keep-alive: a CRLFCRLF between messages is a ping (answered with CRLF by the owner).

export interface FramerLimits {
  maxHeaderSize: number;
  maxBodySize: number;
}

export interface FramerEvents {
  /** A whole message; the buffer is only valid during the call. */
  message(data: Buffer): void;
  ping(): void;
  /** Framing cannot continue; the owner answers (if `head` is given) and closes. */
  error(status: number, reason: string, head: Buffer | undefined): void;
}

const CR = 0x0d;
const LF = 0x0a;

export class StreamFramer {
  private buf: Buffer = Buffer.alloc(0);
  private start = 0; // first unconsumed byte
  private end = 0; // one past the last buffered byte
  private scanFrom = 0; // where the header-end search resumes
  private bodyStart = -1; // > 0 once the head is complete
  private bodyLength = 0;
  private wsTail = 0; // last bytes of skipped whitespace, to spot CRLFCRLF pings
  private failed = false;

  constructor(
    private readonly limits: FramerLimits,
    private readonly events: FramerEvents,
  ) {}

  /** Bytes held waiting for the rest of a message. */
  bufferedBytes(): number {
    return this.end - this.start;
  }

  push(chunk: Buffer): void {
    if (this.failed) return;
    this.append(chunk);
    while (!this.failed && this.step()) {
      /* one message (or ping) per step */
    }
    if (this.start === this.end) {
      this.start = this.end = this.scanFrom = 0;
      if (this.buf.length > 65536) this.buf = Buffer.alloc(0); // do not hold a big buffer while idle
    }
  }

  private append(chunk: Buffer): void {
    const pending = this.end - this.start;
    if (this.buf.length - this.end < chunk.length) {
      if (pending + chunk.length <= this.buf.length && this.start > 0) {
        // compact: move the pending bytes to the front
        this.buf.copy(this.buf, 0, this.start, this.end);
      } else {
        const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, pending + chunk.length, 4096));
        this.buf.copy(next, 0, this.start, this.end);
        this.buf = next;
      }
      this.scanFrom -= this.start;
      if (this.bodyStart >= 0) this.bodyStart -= this.start;
      this.start = 0;
      this.end = pending;
    }
    chunk.copy(this.buf, this.end);
    this.end += chunk.length;
  }

  /** Returns true if it consumed something and more may follow. */
  private step(): boolean {
    const b = this.buf;
    if (this.bodyStart < 0) {
      // Between messages: skip whitespace, answering pings.
      while (this.start < this.end && this.start === this.scanFrom) {
        const c = b[this.start]!;
        if (c !== CR && c !== LF && c !== 0x20 && c !== 0x09) break;
        this.wsTail = ((this.wsTail << 8) | c) >>> 0;
        this.start++;
        this.scanFrom = this.start;
        if (this.wsTail === 0x0d0a0d0a) {
          this.wsTail = 0;
          this.events.ping();
        }
      }
      if (this.start === this.end) return false;
      this.wsTail = 0;
      // Search the header end from where the last search stopped (minus 3 for a split CRLFCRLF).
      const from = Math.max(this.start, this.scanFrom - 3);
      const idx = b.indexOf('\r\n\r\n', from, 'latin1');
      // The buffer is larger than what arrived: a match must lie wholly before `end`, or stale
      // bytes past it would complete a head that has not arrived yet.
      if (idx < 0 || idx + 4 > this.end) {
        this.scanFrom = this.end;
        if (this.end - this.start > this.limits.maxHeaderSize) {
          this.fail(431, 'Headers Too Large', undefined);
        }
        return false;
      }
      const headEnd = idx + 4;
      if (headEnd - this.start > this.limits.maxHeaderSize) {
        this.fail(431, 'Headers Too Large', undefined);
        return false;
      }
      const cl = contentLength(b, this.start, idx);
      const head = () => b.subarray(this.start, headEnd);
      if (cl === undefined) {
        this.fail(400, 'Content-Length Required', head());
        return false;
      }
      if (cl < 0) {
        this.fail(400, 'Bad Content-Length', head());
        return false;
      }
      if (cl > this.limits.maxBodySize) {
        this.fail(413, 'Request Entity Too Large', head());
        return false;
      }
      this.bodyStart = headEnd;
      this.bodyLength = cl;
    }
    if (this.end - this.bodyStart < this.bodyLength) return false;
    const msgEnd = this.bodyStart + this.bodyLength;
    const message = b.subarray(this.start, msgEnd);
    this.start = this.scanFrom = msgEnd;
    this.bodyStart = -1;
    this.events.message(message);
    return true;
  }

  private fail(status: number, reason: string, head: Buffer | undefined): void {
    this.failed = true;
    this.events.error(status, reason, head);
    this.buf = Buffer.alloc(0);
    this.start = this.end = this.scanFrom = 0;
  }
}

/**
 * The Content-Length of a head in b[from, to): undefined when absent, -1 when malformed or
 * repeated with different values. Header names compared case-insensitively; `l` is the compact form.
 */
function contentLength(b: Buffer, from: number, to: number): number | undefined {
  let result: number | undefined;
  let line = from;
  while (line < to) {
    let eol = b.indexOf('\r\n', line, 'latin1');
    if (eol < 0 || eol > to) eol = to;
    const c0 = b[line]! | 0x20;
    if (c0 === 0x6c /* l */ || c0 === 0x63 /* c */) {
      let p = line;
      while (p < eol && b[p] !== 0x3a /* : */) p++;
      if (p < eol) {
        const name = b.toString('latin1', line, p).trimEnd().toLowerCase();
        if (name === 'content-length' || name === 'l') {
          const value = b.toString('latin1', p + 1, eol).trim();
          if (!/^[0-9]{1,9}$/.test(value)) return -1;
          const n = Number(value);
          if (result !== undefined && result !== n) return -1;
          result = n;
        }
      }
    }
    line = eol + 2;
  }
  return result;
}
