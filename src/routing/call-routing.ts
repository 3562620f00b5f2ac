// Routing's answers to the questions apps ask while a call is set up (ARCHITECTURE.md
// "routing/"): which terminals an extension rings (registered phones and PSTN numbers through a
// trunk), whether the operator is on duty, which trunks an outside call tries in failover
// order, and what the callee sees. It reads the directory, the numbers and trunks, the tenant's
// settings and the location service; it keeps no call state except the trunk usage counts
// (TrunkDirectory) that outbound legs take and give back.
import type { Logger } from '../log.ts';
import type { LocationService } from '../sip/registrar/location.ts';
import type { Peer } from '../sip/message.ts';
import { parseUri } from '../sip/uri.ts';
import type { DialableExtension, ExtensionLookup } from '../directory/extension-lookup.ts';
import type { ExtensionRulesLookup } from '../directory/call-rule-lookup.ts';
import type { NumberLookup, RoutableNumber } from '../numbers/number-lookup.ts';
import type { TenantSettingsLookup } from '../tenancy/tenant-settings-lookup.ts';
import type { TenantSettings } from '../tenancy/tenant-settings.ts';
import type { RoutableTrunk, TrunkDirectory } from '../trunks/trunk-directory.ts';
import type { DialTarget } from '../calls/call.ts';
import type { Party } from '../calls/call-events.ts';
import { isWithinServiceHours, localTime } from '../hours/service-hours.ts';
import { calendarCoversYear, loadHolidayCalendar, type HolidayCalendar } from '../hours/holiday-calendar.ts';
import { normalizeNumber } from './numbers/normalize-number.ts';
import { isNumberError, type NormalizedNumber } from './numbers/normalized-number.ts';
import { outboundTrunkOrder } from './trunk-selection.ts';
import { mayCallExtension } from './outbound-permission.ts';
import { trunkTarget } from './trunk-target.ts';
import { normaliseDialled, partyOf } from './route-call.ts';

export interface CallRoutingOptions {
  extensions: ExtensionLookup;
  rules: ExtensionRulesLookup;
  numbers: NumberLookup;
  settings: TenantSettingsLookup;
  trunks: TrunkDirectory;
  location: LocationService;
  /** Calls in progress of an extension (call control counts them). */
  activeCallsOf(extensionId: number): number;
  /** Trunks whose outbound registration is down are skipped. */
  trunkUsable(trunkId: number): boolean;
  callWaiting: boolean;
  log: Logger;
  /** The clock of service hours (tests and the e2e suite inject one). */
  now: () => number;
}

/** An extension ready to ring, or what the caller hears instead. */
export type Reach = { extension: DialableExtension; targets: DialTarget[]; release(): void } | { status: number; reason: string; why?: string };

/** One trunk to try for an outside call: its target and the usage count it holds. */
export interface TrunkAttempt {
  trunk: RoutableTrunk;
  target: DialTarget;
  release(): void;
}

export class CallRouting {
  private readonly calendars = new Map<string, { calendar: HolidayCalendar | undefined; loadedAt: number }>();
  /** Calendar file + year pairs already looked at for running out. */
  private readonly yearsChecked = new Set<string>();

  constructor(private readonly o: CallRoutingOptions) {}

  get log(): Logger {
    return this.o.log;
  }

  now(): number {
    return this.o.now();
  }

  settings(tenantId: number): TenantSettings {
    return this.o.settings.of(tenantId);
  }

  extension(tenantId: number, dialled: string): DialableExtension | undefined {
    return this.o.extensions.byNumber(tenantId, normaliseDialled(dialled));
  }

  extensionById(id: number): DialableExtension | undefined {
    return this.o.extensions.byId(id);
  }

  /**
   * The extension `dialled` with what it rings: its registered phones and its PSTN terminals
   * (through a trunk, showing `presented`, a forwarded leg). 404 unknown, 403 when its rules
   * refuse `caller` (R-VAS-4), 486 at its call limit, 480 when nothing can ring.
   */
  async reachExtension(tenantId: number, dialled: string, o: { toUri: string; caller?: DialableExtension; presented?: string; divertedFrom?: string }): Promise<Reach> {
    const number = normaliseDialled(dialled);
    if (number === '') return { status: 484, reason: 'Address Incomplete', why: 'no number dialled' };
    const extension = this.o.extensions.byNumber(tenantId, number);
    if (extension === undefined) return { status: 404, reason: 'Not Found', why: `no extension ${number}` };
    if (o.caller !== undefined) {
      if (!mayCallExtension(o.caller.number, this.o.rules.rules(extension.id, 'inbound'))) return { status: 403, reason: 'Forbidden', why: `extension ${extension.number} does not take calls from ${o.caller.number}` };
      if (this.sameDirectLine(o.caller.id, extension.id)) return { status: 403, reason: 'Forbidden', why: 'terminals of one direct line cannot call each other' };
    }
    const busy = this.o.activeCallsOf(extension.id);
    if (busy >= extension.maxConcurrentCalls || (!this.o.callWaiting && busy > 0)) return { status: 486, reason: 'Busy Here' };
    const targets: DialTarget[] = this.phonesOf(extension.id, extension.number, o.toUri);
    const releases: Array<() => void> = [];
    const pstn = this.o.rules.pstnTerminals(extension.id);
    if (pstn.length > 0) {
      const presented = o.presented ?? this.o.numbers.mainOf(tenantId)?.number;
      for (const p of pstn.slice(0, Math.max(0, 3 - targets.length))) {
        const t = await this.pstnTarget(tenantId, p, presented, o.divertedFrom ?? presented);
        if (t === undefined) continue;
        targets.push(t.target);
        releases.push(t.release);
      }
    }
    const release = () => releases.forEach((r) => r());
    if (targets.length === 0) return { status: 480, reason: 'Temporarily Unavailable' };
    return { extension, targets, release };
  }

  /** R-DL-1: the terminals of one direct line neither call nor transfer to each other. */
  sameDirectLine(extensionA: number, extensionB: number): boolean {
    const line = this.o.numbers.directLineOf(extensionA);
    return line !== undefined && this.o.numbers.directLineOf(extensionB)?.id === line.id;
  }

  /** The registered contacts of an extension as call targets (sent to where each registered from). */
  phonesOf(extensionId: number, number: string, toUri: string): DialTarget[] {
    const to = parseUri(toUri);
    const domain = to ? to.host : 'localhost';
    return this.o.location.contactsOf(extensionId).map((b) => ({
      uri: b.contact,
      peer: b.source as Peer,
      to: { uri: `sip:${number}@${domain}`, params: {} },
    }));
  }

  /** The terminals of a direct-line number: device accounts' phones and PSTN numbers. */
  async directLineTargets(line: RoutableNumber, toUri: string, presented: string | undefined): Promise<{ targets: DialTarget[]; party: Party; release(): void }> {
    const targets: DialTarget[] = [];
    const releases: Array<() => void> = [];
    let party: Party = { number: line.number };
    for (const t of this.o.numbers.terminalsOf(line.id)) {
      if (t.kind === 'sip') {
        const device = this.o.extensions.byId(t.extensionId);
        if (device === undefined) continue;
        if (party.extensionId === undefined) party = { ...partyOf(device), number: device.number };
        targets.push(...this.phonesOf(device.id, device.number, toUri));
      } else {
        const p = await this.pstnTarget(line.tenantId, t.number, presented, line.number);
        if (p === undefined) continue;
        targets.push(p.target);
        releases.push(p.release);
      }
    }
    return { targets, party, release: () => releases.forEach((r) => r()) };
  }

  /** A PSTN number rung as a terminal: through the first trunk that can take it, as a forwarded leg. */
  private async pstnTarget(tenantId: number, number: string, presented: string | undefined, divertedFrom: string | undefined): Promise<{ target: DialTarget; release(): void } | undefined> {
    const settings = this.settings(tenantId);
    const n = normalizeNumber(number, { countryCode: settings.country_code, ...(settings.area_code ? { areaCode: settings.area_code } : {}) });
    if (isNumberError(n)) {
      this.o.log.warn({ tenantId, number, err: n.message }, 'PSTN terminal is not a usable number');
      return undefined;
    }
    const [first] = await this.trunkAttempts(tenantId, n, { presented, divertedFrom, forwarded: true, limit: 1 });
    if (first === undefined) this.o.log.warn({ tenantId, number }, 'no trunk free for a PSTN terminal');
    return first;
  }

  /**
   * Trunks to try for an outside call, in failover order, each with its target (the callee
   * sees `presented`) and a usage count held until `release`. Empty when none can take it.
   * `limit` stops after that many (a PSTN terminal takes the first).
   */
  async trunkAttempts(tenantId: number, called: NormalizedNumber, o: { presented: string | undefined; divertedFrom?: string | undefined; forwarded?: boolean; limit?: number }): Promise<TrunkAttempt[]> {
    const settings = this.settings(tenantId);
    const all = this.o.trunks.all();
    // the tenant's own gateways (an IAD's FXO lines) first, then the carriers
    const own = all.filter((t) => t.kind === 'gateway' && t.tenantId === tenantId && t.enabled && this.o.trunks.hasRoom(t) && this.o.trunkUsable(t.id)).sort((a, b) => a.priority - b.priority || a.id - b.id);
    const usable = (id: number) => this.o.trunkUsable(id);
    const carriers = outboundTrunkOrder(
      all.filter((t) => t.kind !== 'pbx' && (t.tenantId === undefined || t.tenantId === tenantId)),
      { preferred: settings.outbound_trunks, activeCalls: (id) => this.o.trunks.activeCalls(id), usable },
    ).filter((t) => settings.outbound_trunks.length > 0 || t.kind === 'carrier');
    const order = settings.outbound_trunks.length > 0 ? carriers : [...own, ...carriers];
    const attempts: TrunkAttempt[] = [];
    for (const trunk of order) {
      if (o.limit !== undefined && attempts.length >= o.limit) break;
      const peer = await this.o.trunks.peerOf(trunk);
      // another call may have taken the last free slot while we waited (a name being resolved)
      if (peer === undefined || !this.o.trunks.hasRoom(trunk)) continue;
      const target: DialTarget = {
        ...trunkTarget({ trunk, peer, called, presented: o.presented, ...(o.divertedFrom === undefined ? {} : { divertedFrom: o.divertedFrom }) }),
        trunkId: trunk.id,
        ...(o.forwarded ? { forwarded: true } : {}),
        ...(trunk.codecs === undefined ? {} : { codecs: trunk.codecs }),
      };
      attempts.push({ trunk, target, release: this.o.trunks.acquire(trunk) });
    }
    return attempts;
  }

  /** The tenant PBX behind a sipTrunk number, as a target: the DID is the called number, the caller shows as itself. */
  async pbxTarget(line: RoutableNumber, caller: string): Promise<TrunkAttempt | undefined> {
    const trunk = line.trunkId === undefined ? undefined : this.o.trunks.get(line.trunkId);
    if (trunk === undefined || !trunk.enabled) return undefined;
    const peer = await this.o.trunks.peerOf(trunk);
    if (peer === undefined) return undefined;
    const n = normalizeNumber(line.number);
    if (isNumberError(n)) return undefined;
    const target: DialTarget = {
      ...trunkTarget({ trunk, peer, called: n, presented: caller === 'anonymous' ? undefined : caller }),
      trunkId: trunk.id,
      ...(trunk.codecs === undefined ? {} : { codecs: trunk.codecs }),
    };
    return { trunk, target, release: this.o.trunks.acquire(trunk) };
  }

  /** Whether the tenant's operator is on duty now (service hours, weekends, holidays: R-SW-2). */
  operatorOnDuty(tenantId: number): boolean {
    const s = this.settings(tenantId);
    return isWithinServiceHours(this.o.now(), s.service_hours, s.timezone, this.checkedCalendar(s));
  }

  /** The server's start-up check: a tenant calendar that has run out is warned about at once. */
  checkHolidayCalendar(tenantId: number): void {
    this.checkedCalendar(this.settings(tenantId));
  }

  /** The tenant's holiday calendar; looked at once per file and year, with a warning when it has
   *  no day of that year (every day would be taken for an ordinary one). */
  private checkedCalendar(s: TenantSettings): HolidayCalendar | undefined {
    const calendar = this.calendar(s.holiday_calendar);
    if (calendar === undefined) return undefined;
    const year = localTime(this.o.now(), s.timezone).date.slice(0, 4);
    const key = `${calendar.source}\n${year}`;
    if (!this.yearsChecked.has(key)) {
      this.yearsChecked.add(key);
      if (!calendarCoversYear(calendar, year))
        this.o.log.warn({ path: calendar.source, year }, `holiday calendar ${calendar.name} has no days of ${year}: public holidays are not closed; load the new year's calendar`);
    }
    return calendar;
  }

  /** A holiday calendar file, re-read at most once a minute; a bad file is logged and ignored. */
  private calendar(path: string | undefined): HolidayCalendar | undefined {
    if (path === undefined) return undefined;
    const now = Date.now();
    const hit = this.calendars.get(path);
    if (hit !== undefined && now - hit.loadedAt < 60_000) return hit.calendar;
    let calendar: HolidayCalendar | undefined;
    try {
      calendar = loadHolidayCalendar(path);
    } catch (e) {
      this.o.log.error({ path, err: (e as Error).message }, 'holiday calendar not usable: weekdays only');
    }
    this.calendars.set(path, { calendar, loadedAt: now });
    return calendar;
  }

  /** What outbound calls of the tenant (or of a direct line's device) show. */
  presentedNumber(tenantId: number, callerExtensionId?: number): string | undefined {
    if (callerExtensionId !== undefined) {
      const line = this.o.numbers.directLineOf(callerExtensionId);
      if (line !== undefined) return line.number;
    }
    return this.o.numbers.mainOf(tenantId)?.number;
  }

  outboundRules(extensionId: number) {
    return this.o.rules.rules(extensionId, 'outbound');
  }

  activeCallsOf(extensionId: number): number {
    return this.o.activeCallsOf(extensionId);
  }
}
