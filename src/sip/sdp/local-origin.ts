// How the PBX names itself in the SDP it writes: o= with our session id and version, c= with
// our relay address (IN IP4, or IN IP6 for an IPv6 address). The arguments come from call
// control, so a wrong one is a bug there; it is still an SdpError, the module's one error.
import { isIP } from 'node:net';
import { SdpError } from './sdp-error.ts';
import type { Connection, MediaDescription, Origin, SessionDescription } from './session-description.ts';

/** The o= username the PBX writes unless told otherwise. */
export const DEFAULT_ORIGIN_USER = 'tspbx';

export interface LocalOriginArgs {
  address: string;
  sessionId: string;
  sessionVersion: number;
  username?: string;
}

/** IP4 or IP6 for our address; SdpError when it is not an IP address. */
export function addrTypeOf(address: string): 'IP4' | 'IP6' {
  const v = isIP(address);
  if (v === 0) throw new SdpError(`our media address "${address}" is not an IP address`);
  return v === 6 ? 'IP6' : 'IP4';
}

export function localConnection(address: string): Connection {
  return { netType: 'IN', addrType: addrTypeOf(address), address };
}

export function localOrigin(args: LocalOriginArgs): Origin {
  const username = args.username ?? DEFAULT_ORIGIN_USER;
  if (!/^[!-~]+$/.test(username)) throw new SdpError(`o= username "${username}" must be printable without spaces`);
  if (!/^\d{1,20}$/.test(args.sessionId)) throw new SdpError(`o= session id "${args.sessionId}" must be a number`);
  if (!Number.isSafeInteger(args.sessionVersion) || args.sessionVersion < 0) {
    throw new SdpError(`o= session version ${args.sessionVersion} must be a non-negative integer`);
  }
  return {
    username,
    sessionId: args.sessionId,
    sessionVersion: String(args.sessionVersion),
    netType: 'IN',
    addrType: addrTypeOf(args.address),
    address: args.address,
  };
}

/** A description the PBX writes itself (offer or answer): our o= and c=, no timing, these media lines. */
export function localSession(origin: LocalOriginArgs, media: MediaDescription[]): SessionDescription {
  return {
    version: 0,
    origin: localOrigin(origin),
    name: '-',
    emails: [],
    phones: [],
    connection: localConnection(origin.address),
    bandwidths: [],
    timings: [{ start: '0', stop: '0', repeats: [] }],
    attributes: [],
    media,
  };
}

/** SdpError unless `port` is a usable port (1–65535). */
export function checkPort(port: number, what: string): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new SdpError(`${what} ${port} is not a port 1-65535`);
}
