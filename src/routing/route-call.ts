// How a dialled number and an extension look to routing: the digits a phone sent, and an
// extension as a party of a call. (Which app handles a call: plan-call.ts.)
import type { DialableExtension } from '../directory/extension-lookup.ts';
import type { Party } from '../calls/call-events.ts';

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
