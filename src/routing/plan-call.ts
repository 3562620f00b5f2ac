// Which app handles a new call (ARCHITECTURE.md "routing/"), once call control knows who is
// calling: one of the tenant's extensions (a colleague, or an outside number through the
// permission chain and the trunks), a carrier or gateway (a DID: blacklist, then the number's
// mode — switchboard, direct line, SIP-trunk hand-off), or a tenant's own PBX (its calls go out
// with the tenant's number, within its purchased concurrency). The plan says who the record
// shows and what runs; a refusal says what the caller gets.
import type { Call, CallDirection } from '../calls/call.ts';
import type { Party } from '../calls/call-events.ts';
import type { SipRequest } from '../sip/message.ts';
import { parseUri } from '../sip/uri.ts';
import type { DialableExtension } from '../directory/extension-lookup.ts';
import type { NumberLookup, RoutableNumber } from '../numbers/number-lookup.ts';
import type { RoutableTrunk, TrunkDirectory } from '../trunks/trunk-directory.ts';
import { callsRefused } from '../metrics.ts';
import { dialExtension } from '../apps/dial-extension.ts';
import { dialOutside } from '../apps/dial-outside.ts';
import { switchboard } from '../apps/switchboard.ts';
import { directLine } from '../apps/direct-line.ts';
import { sipTrunkInbound } from '../apps/sip-trunk.ts';
import { refuseBlocked } from '../apps/refuse-blocked.ts';
import type { CallRouting } from './call-routing.ts';
import type { AppEnv } from '../apps/app-env.ts';
import { listenVoicemail, VOICEMAIL_FEATURE_CODE } from '../apps/voicemail-listen.ts';
import { normalizeNumber } from './numbers/normalize-number.ts';
import { isNumberError } from './numbers/normalized-number.ts';
import { isEmergencyNumber } from './numbers/countries.ts';
import { parseOutsideNumber, permitOutbound } from './outbound-permission.ts';
import { isBlacklisted } from './caller-blacklist.ts';
import { normaliseDialled, partyOf } from './route-call.ts';

/** Who sends the INVITE, as call control established it. */
export type CallOrigin = { kind: 'extension'; extension: DialableExtension } | { kind: 'trunk'; trunk: RoutableTrunk };

export interface CallPlan {
  tenantId: number;
  direction: CallDirection;
  caller: Party;
  callee: Party;
  /** The trunk the call came in on (its record, its codecs). */
  trunk?: RoutableTrunk;
  /** Usage counts the call holds (trunk, number): given back when it ends or is never set up. */
  holds: Array<() => void>;
  run(call: Call): Promise<void>;
}

export interface Refusal {
  status: number;
  reason: string;
  /** For the log line. */
  why?: string;
  headers?: Record<string, string>;
}

export interface PlanContext {
  routing: CallRouting;
  apps: AppEnv;
  numbers: NumberLookup;
  trunks: TrunkDirectory;
  /** Calls in progress to/from a number (sipTrunk concurrency). */
  holdNumber(line: RoutableNumber): (() => void) | undefined;
}

const OUTSIDE_RING_TIMEOUT_S = 60;

export async function planCall(origin: CallOrigin, req: SipRequest, c: PlanContext): Promise<CallPlan | Refusal> {
  return origin.kind === 'extension' ? planFromExtension(origin.extension, req, c) : origin.trunk.kind === 'pbx' ? planFromTenantPbx(origin.trunk, req, c) : planFromCarrier(origin.trunk, req, c);
}

function refuse(metric: string, r: Refusal): Refusal {
  callsRefused.inc({ reason: metric });
  return r;
}

async function planFromExtension(caller: DialableExtension, req: SipRequest, c: PlanContext): Promise<CallPlan | Refusal> {
  const { routing } = c;
  const tenantId = caller.tenantId;
  const dialled = normaliseDialled(parseUri(req.uri)?.user ?? '');
  const settings = routing.settings(tenantId);
  if (dialled === VOICEMAIL_FEATURE_CODE) {
    return { tenantId, direction: 'internal', caller: partyOf(caller), callee: { number: dialled }, holds: [], run: (call) => listenVoicemail(call, c.apps, caller) };
  }
  // an emergency number wins over an extension with the same digits
  if (!isEmergencyNumber(settings.country_code, dialled) && routing.extension(tenantId, dialled) !== undefined) {
    const reach = await routing.reachExtension(tenantId, dialled, { toUri: req.headers.to.uri, caller, presented: routing.presentedNumber(tenantId, caller.id) });
    if ('status' in reach) return reach;
    return {
      tenantId,
      direction: 'internal',
      caller: partyOf(caller),
      callee: partyOf(reach.extension),
      holds: [reach.release],
      run: async (call) => void (await dialExtension(call, { extension: reach.extension, targets: reach.targets })),
    };
  }
  const parsed = parseOutsideNumber(dialled, settings);
  if ('notOutside' in parsed) return { status: 404, reason: 'Not Found', why: `no extension ${dialled}` };
  if ('refuse' in parsed) return refuse('permission', parsed.refuse);
  const rules = routing.outboundRules(caller.id);
  const permit = permitOutbound(parsed.outside, { settings, allow: rules.allow, deny: rules.deny, activeCalls: routing.activeCallsOf(caller.id), maxCalls: caller.maxConcurrentCalls });
  if (!permit.ok) return refuse('permission', { status: permit.status, reason: permit.reason, why: permit.why });
  const presented = routing.presentedNumber(tenantId, caller.id);
  const attempts = await routing.trunkAttempts(tenantId, parsed.outside.number, { presented });
  const callee: Party = { number: parsed.outside.number.national };
  return {
    tenantId,
    direction: 'outbound',
    caller: partyOf(caller),
    callee,
    holds: attempts.map((a) => a.release),
    run: (call) => dialOutside(call, { attempts, party: callee, ringTimeoutS: OUTSIDE_RING_TIMEOUT_S }),
  };
}

/** A tenant's PBX sending a call out (R-ST-1): the number it bought is shown, its concurrency applies. */
async function planFromTenantPbx(trunk: RoutableTrunk, req: SipRequest, c: PlanContext): Promise<CallPlan | Refusal> {
  const line = c.numbers.ofTrunk(trunk.id);
  if (line === undefined) return refuse('permission', { status: 403, reason: 'Forbidden', why: `trunk ${trunk.name} serves no sipTrunk number` });
  const held = holdCall(trunk, line, c);
  if ('status' in held) return held;
  const settings = c.routing.settings(line.tenantId);
  const dialled = normaliseDialled(parseUri(req.uri)?.user ?? '');
  const parsed = parseOutsideNumber(dialled, { ...settings, outside_line_prefix: '' });
  const release = () => held.holds.forEach((h) => h());
  if ('notOutside' in parsed || 'refuse' in parsed) {
    release();
    return 'refuse' in parsed ? refuse('permission', parsed.refuse) : { status: 404, reason: 'Not Found', why: `not a number: ${dialled}` };
  }
  const permit = permitOutbound(parsed.outside, { settings, allow: [], deny: [], activeCalls: 0, maxCalls: Number.MAX_SAFE_INTEGER });
  if (!permit.ok) {
    release();
    return refuse('permission', { status: permit.status, reason: permit.reason, why: permit.why });
  }
  const attempts = await c.routing.trunkAttempts(line.tenantId, parsed.outside.number, { presented: line.number });
  const callee: Party = { number: parsed.outside.number.national };
  return {
    tenantId: line.tenantId,
    direction: 'outbound',
    caller: { number: line.number },
    callee,
    trunk,
    holds: [...held.holds, ...attempts.map((a) => a.release)],
    run: (call) => dialOutside(call, { attempts, party: callee, ringTimeoutS: OUTSIDE_RING_TIMEOUT_S }),
  };
}

/** A call from the network to one of our numbers (R-SW-1, R-DL-1, R-ST-1). */
async function planFromCarrier(trunk: RoutableTrunk, req: SipRequest, c: PlanContext): Promise<CallPlan | Refusal> {
  const line = didOf(req, trunk, c.numbers);
  if (line === undefined) {
    return refuse('unknown_number', { status: 404, reason: 'Not Found', why: `no number ${parseUri(req.uri)?.user ?? '?'} (trunk ${trunk.name})` });
  }
  const fromUser = parseUri(req.headers.from.uri)?.user ?? '';
  const callerNumber = decodeUser(fromUser) || 'anonymous';
  const caller: Party = { number: callerNumber, ...(req.headers.from.name ? { name: req.headers.from.name.replace(/^"|"$/g, '') } : {}) };
  const callee: Party = { number: line.number };
  const blocked = isBlacklisted(callerNumber, c.numbers.blacklistOf(line.id), { countryCode: trunk.countryCode });
  if (blocked !== undefined) {
    callsRefused.inc({ reason: 'blacklisted' });
    const room = c.trunks.hasRoom(trunk) ? [c.trunks.acquire(trunk)] : [];
    return { tenantId: line.tenantId, direction: 'inbound', caller, callee, trunk, holds: room, run: (call) => refuseBlocked(call, line, blocked, c.apps) };
  }
  const held = holdCall(trunk, line.mode === 'sipTrunk' ? line : undefined, c);
  if ('status' in held) return held;
  const plan = { tenantId: line.tenantId, direction: 'inbound' as const, caller, callee, trunk, holds: held.holds };
  switch (line.mode) {
    case 'switchboard':
      return { ...plan, run: (call) => switchboard(call, line, c.apps) };
    case 'direct':
      return { ...plan, run: (call) => directLine(call, line, c.apps) };
    case 'sipTrunk':
      return { ...plan, run: (call) => sipTrunkInbound(call, line, c.routing) };
  }
}

/** Takes a slot on the trunk and, for a sipTrunk number, one of its purchased calls; 503 when full. */
function holdCall(trunk: RoutableTrunk, line: RoutableNumber | undefined, c: PlanContext): { holds: Array<() => void> } | Refusal {
  if (!c.trunks.hasRoom(trunk)) return refuse('trunk_limit', { status: 503, reason: 'Service Unavailable', why: `trunk ${trunk.name} at its limit of ${trunk.maxCalls} calls`, headers: { 'Retry-After': '10' } });
  const holds = [c.trunks.acquire(trunk)];
  if (line !== undefined) {
    const release = c.holdNumber(line);
    if (release === undefined) {
      holds.forEach((h) => h());
      return refuse('number_limit', { status: 503, reason: 'Service Unavailable', why: `number ${line.number} at its limit of ${line.maxCalls} calls`, headers: { 'Retry-After': '10' } });
    }
    holds.push(release);
  }
  return { holds };
}

/** The number a carrier call is for: the Request-URI's user, else the To user (IADs differ). */
function didOf(req: SipRequest, trunk: RoutableTrunk, numbers: NumberLookup): RoutableNumber | undefined {
  for (const uri of [req.uri, req.headers.to.uri]) {
    const user = decodeUser(parseUri(uri)?.user ?? '');
    if (user === '') continue;
    const n = normalizeNumber(user, { countryCode: trunk.countryCode });
    const candidates = isNumberError(n) ? [user] : [n.e164 ?? n.national, user];
    for (const cand of candidates) {
      const line = numbers.byNumber(cand.startsWith('+') ? cand : `+${cand}`) ?? numbers.byNumber(cand);
      if (line !== undefined) return line;
    }
  }
  return undefined;
}

function decodeUser(user: string): string {
  try {
    return decodeURIComponent(user);
  } catch {
    return user;
  }
}
