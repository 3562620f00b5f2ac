// Where an m= line's media goes: its own c= line, else the session's (RFC 8866 §5.7).
import { isIPv6 } from 'node:net';
import type { Connection, MediaDescription, SessionDescription } from './session-description.ts';

export function connectionOf(desc: SessionDescription, m: MediaDescription): Connection | undefined {
  return m.connection ?? desc.connection;
}

/**
 * c=IN IP4 0.0.0.0: the RFC 2543 way of putting a call on hold (RFC 3264 §8.4 keeps it
 * legal for compatibility): "send me nothing". The unspecified IPv6 address (::) likewise.
 */
export function isNullAddress(address: string): boolean {
  return address === '0.0.0.0' || (isIPv6(address) && /^[0:]+$/.test(address));
}
