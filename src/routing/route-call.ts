// Which app handles a new call (ARCHITECTURE.md "routing/"). Today the only callers are the
// tenant's own extensions and the only destinations its extensions; trunks, DIDs and the
// number modes (switchboard, direct line, SIP-trunk hand-off) add their branches here.
import type { DialableExtension, ExtensionLookup } from '../directory/extension-lookup.ts';
import type { Party } from '../calls/call-events.ts';

export type Route =
  | { app: 'dial-extension'; extension: DialableExtension }
  | { reject: number; reason: string; why: string };

/** `dialled` is the Request-URI user part as the phone sent it. */
export function routeFromExtension(tenantId: number, dialled: string, extensions: ExtensionLookup): Route {
  const number = normaliseDialled(dialled);
  if (number === '') return { reject: 484, reason: 'Address Incomplete', why: 'no number dialled' };
  const extension = extensions.byNumber(tenantId, number);
  if (extension === undefined) return { reject: 404, reason: 'Not Found', why: `no extension ${number}` };
  return { app: 'dial-extension', extension };
}

/** Digits as dialled: visual separators some phones keep (-, ., spaces, parentheses) removed. */
export function normaliseDialled(user: string): string {
  let s: string;
  try {
    s = decodeURIComponent(user);
  } catch {
    s = user;
  }
  return s.replace(/[\s\-.()]/g, '');
}

/** An extension as a party of a call (records, the live view, From of the legs we place). */
export function partyOf(extension: DialableExtension): Party {
  return { number: extension.number, extensionId: extension.id, ...(extension.name ? { name: extension.name } : {}) };
}
