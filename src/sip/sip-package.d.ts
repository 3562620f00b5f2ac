// Minimal typings for the `sip` npm package (0.0.6): only the parser is used, and only
// src/sip/parse.ts imports it. Its result is untrusted: every field is re-validated.
declare module 'sip' {
  const sip: {
    /** Parses one whole message (latin1 string or Buffer); undefined when the start line or a header line is unparseable. */
    parse(data: string | Buffer): Record<string, unknown> | undefined;
  };
  export default sip;
}
