// A call leg through a trunk: the Request-URI with the called number as the trunk wants it, the
// presented number (the tenant's, never an extension: R-SMART-4) in From and/or
// P-Asserted-Identity per the trunk's setting, a Diversion header (RFC 5806) for forwarded calls
// toward carriers that want it, and the credentials for a carrier that challenges INVITEs.
import type { NormalizedNumber } from './numbers/normalized-number.ts';
import { formatForTrunk } from './numbers/format-for-trunk.ts';
import { normalizeNumber } from './numbers/normalize-number.ts';
import { isNumberError } from './numbers/normalized-number.ts';
import type { OutboundTarget } from '../calls/outbound-leg.ts';
import type { Peer } from '../sip/message.ts';
import { formatHost } from '../sip/uri.ts';
import type { RoutableTrunk } from '../trunks/trunk-directory.ts';
import { calledNumberFor } from './trunk-selection.ts';

export interface TrunkTargetArgs {
  trunk: RoutableTrunk;
  peer: Peer;
  /** Who is called. */
  called: NormalizedNumber;
  /** The tenant number the callee sees (E.164). */
  presented: string | undefined;
  /** A forwarded call: the number that was called (E.164) goes into Diversion. */
  divertedFrom?: string;
}

export function trunkTarget(a: TrunkTargetArgs): OutboundTarget {
  const { trunk, peer } = a;
  const hostPort = `${formatHost(trunk.host)}${trunk.port === 5060 && trunk.transport !== 'tls' ? '' : `:${trunk.port}`}`;
  const called = calledNumberFor(a.called, trunk);
  const transportParam = trunk.transport === 'udp' ? '' : `;transport=${trunk.transport}`;
  const presented = a.presented === undefined ? undefined : asTrunkNumber(a.presented, trunk.callerIdFormat);
  const headers: Record<string, string> = {};
  let fromUser = presented ?? 'anonymous';
  if (presented !== undefined && trunk.callerIdHeader !== 'from') headers['P-Asserted-Identity'] = `<sip:${presented}@${hostPort}>`;
  // 'pai': From carries the trunk account (carriers that check From), the number is in PAI only
  if (trunk.callerIdHeader === 'pai' && trunk.credentials !== undefined) fromUser = trunk.credentials.username;
  if (a.divertedFrom !== undefined && trunk.diversion) headers['Diversion'] = `<sip:${asTrunkNumber(a.divertedFrom, trunk.callerIdFormat)}@${hostPort}>;reason=unconditional;counter=1`;
  return {
    uri: `sip:${called}@${hostPort}${transportParam}`,
    peer,
    to: { uri: `sip:${called}@${hostPort}`, params: {} },
    from: { uri: `sip:${fromUser}@${hostPort}`, params: {} },
    headers,
    ...(trunk.credentials === undefined ? {} : { credentials: trunk.credentials }),
  };
}

/** A number (stored E.164, or a caller's number as a carrier sent it) in the trunk's format. */
function asTrunkNumber(number: string, format: RoutableTrunk['callerIdFormat']): string {
  const n = normalizeNumber(number);
  return isNumberError(n) ? number.replace(/^\+/, '') : formatForTrunk(n, format);
}
