// The SIP message model shared by every layer of src/sip/ and by its users.
// Shape follows what the `sip` package's parser yields (lower-case header names, compact
// forms expanded) so parsing costs no copy; only src/sip/ may import that package.

export type Params = Record<string, string | null>;

export interface SipUri {
  scheme: string; // 'sip' | 'sips' (others are rejected by the parser guard)
  user?: string;
  password?: string;
  host: string;
  port?: number;
  params: Params;
  headers: Record<string, string>;
}

/** A name-addr / addr-spec header value (To, From, Contact, Refer-To). `uri` is the raw text. */
export interface NameAddr {
  name?: string;
  uri: string;
  params: Params;
}

export interface Via {
  version: string;
  protocol: string; // UDP | TCP | TLS | WS | WSS (upper-case as received)
  host: string;
  port?: number;
  params: Params; // branch, received, rport (null when present without value), ...
}

export interface CSeq {
  seq: number;
  method: string;
}

/** Authorization / WWW-Authenticate etc.: scheme plus raw parameter values (quotes kept). */
export interface AuthHeader {
  scheme: string;
  [param: string]: string;
}

export interface SipHeaders {
  via: Via[];
  to: NameAddr;
  from: NameAddr;
  'call-id': string;
  cseq: CSeq;
  contact?: NameAddr[] | '*';
  'max-forwards'?: string;
  expires?: string;
  'user-agent'?: string;
  'content-type'?: string;
  'content-length'?: number;
  authorization?: AuthHeader[];
  'proxy-authorization'?: AuthHeader[];
  'www-authenticate'?: AuthHeader[];
  'proxy-authenticate'?: AuthHeader[];
  route?: Array<{ name?: string; uri: SipUri; params: Params }>;
  'record-route'?: Array<{ name?: string; uri: SipUri; params: Params }>;
  [name: string]: unknown;
}

export interface SipRequest {
  method: string;
  uri: string;
  version: string;
  headers: SipHeaders;
  content: string; // body as a latin1 ("binary") string: byte-exact
}

export interface SipResponse {
  status: number;
  reason: string;
  version: string;
  headers: SipHeaders;
  content: string;
}

export type SipMessage = SipRequest | SipResponse;

export function isRequest(m: SipMessage): m is SipRequest {
  return (m as SipRequest).method !== undefined;
}

/** The SIP methods registered with IANA that a PBX meets: 405 for these, 501 for others; metric labels. */
export const KNOWN_METHODS: ReadonlySet<string> = new Set([
  'INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'PRACK', 'SUBSCRIBE', 'NOTIFY',
  'PUBLISH', 'INFO', 'REFER', 'MESSAGE', 'UPDATE',
]);

export type TransportKind = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

/** Where a message came from / goes to. `connectionId` pins a stream connection. */
export interface Peer {
  transport: TransportKind;
  address: string;
  port: number;
  connectionId?: number;
}
