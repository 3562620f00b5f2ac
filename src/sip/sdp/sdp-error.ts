// The one error the SDP module throws: a body we cannot use (syntax, sizes) or arguments a
// caller got wrong. Call control answers a peer's bad SDP with 400 (or 488 for a usable body
// that offers nothing we take); the message names the line so a log says what to fix.

export class SdpError extends Error {
  /** 1-based line of the body the problem is on; absent when it is not one line (size, missing o=, bad argument). */
  readonly line: number | undefined;

  constructor(message: string, line?: number) {
    super(line === undefined ? message : `line ${line}: ${message}`);
    this.name = 'SdpError';
    this.line = line;
  }
}
