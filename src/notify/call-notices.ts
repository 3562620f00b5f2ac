// The messages calls cause (R-BASIC-3, R-BASIC-4, R-SW-3, R-BASIC-5), all through the outbox:
// - missed call: an outside call nobody took → SMS to the tenant's reserved mobile;
// - voicemail left: SMS to the box owner's mobile and/or the tenant's webhook;
// - incoming call: a call forwarded to an employee's PSTN terminal (a mobile that will not show
//   the real caller) → SMS to that mobile and/or the webhook with the real caller number;
// - hang-up SMS: after a call from a mobile caller ends, the tenant's text to the caller — not
//   to blacklisted or anonymous callers, at most once per caller per period.
// Apps call the first two; the last two follow the call event bus. Each message is enqueued
// once (a dedupe key per call), in the tenant's templates with {caller} {time} {extension} {company}.
import type { CallEventBus, CallStarted, LegStarted } from '../calls/call-events.ts';
import type { Call } from '../calls/call.ts';
import type { DialableExtension } from '../directory/extension-lookup.ts';
import type { ExtensionRulesLookup } from '../directory/call-rule-lookup.ts';
import type { Logger } from '../log.ts';
import { isMobileNumber, normalizeNumber } from '../routing/numbers/normalize-number.ts';
import { isNumberError } from '../routing/numbers/normalized-number.ts';
import { parseUri } from '../sip/uri.ts';
import type { TenantSettingsLookup } from '../tenancy/tenant-settings-lookup.ts';
import type { TenantSettings } from '../tenancy/tenant-settings.ts';
import { localTime } from '../hours/service-hours.ts';
import type { Outbox } from './outbox.ts';
import { renderTemplate } from './message-template.ts';

export interface CallNoticesOptions {
  outbox: Outbox;
  settings: TenantSettingsLookup;
  rules: ExtensionRulesLookup;
  /** The tenant's name ({company} when the settings name none). */
  tenantName(tenantId: number): string | undefined;
  log: Logger;
  now?: () => number;
}

/** What a voicemail notice says about the message. */
export interface LeftMessage {
  id: number;
  durationS: number;
}

export class CallNotices {
  private readonly now: () => number;
  /** Calls in progress as call.started described them (for the notices their end causes). */
  private readonly started = new Map<string, CallStarted>();

  constructor(private readonly o: CallNoticesOptions) {
    this.now = o.now ?? Date.now;
  }

  /** Follows the bus: hang-up SMS at the end of calls, incoming-call notices on forwarded legs. */
  subscribe(bus: CallEventBus): void {
    bus.on('call.started', (e) => {
      if (e.direction === 'inbound') this.started.set(e.callId, e);
    });
    bus.on('leg.started', (e) => this.onLeg(e));
    bus.on('call.ended', (e) => {
      const call = this.started.get(e.callId);
      this.started.delete(e.callId);
      if (call !== undefined && e.disposition !== 'blocked') this.hangupSms(call);
    });
  }

  /** R-SW-3: an outside call could not be connected → the reserved mobile hears of it. */
  missedCall(call: Call, extension: DialableExtension | undefined): void {
    const s = this.o.settings.of(call.tenantId);
    if (!s.messages.missed_call_sms.enabled || s.reserved_mobile === undefined) return;
    this.sms(call.tenantId, 'missed-call', s.reserved_mobile, s.messages.missed_call_sms.text, s, { caller: call.caller.number, extension: extension?.number ?? '', at: call.startedAt }, `missed-call:${call.id}`, call.id);
  }

  /** A message was left: the owner's mobile (the extension's PSTN terminal, or the reserved mobile for the general box) and the webhook. */
  voicemailLeft(call: Call, message: LeftMessage, extension: DialableExtension | undefined): void {
    const s = this.o.settings.of(call.tenantId);
    const vars = { caller: call.caller.number, extension: extension?.number ?? '', at: this.now() };
    const mobile = extension !== undefined ? this.o.rules.pstnTerminals(extension.id)[0] : s.reserved_mobile;
    if (s.messages.voicemail.sms && mobile !== undefined) this.sms(call.tenantId, 'voicemail', mobile, s.messages.voicemail.text, s, vars, `voicemail-sms:${message.id}`, call.id);
    if (s.messages.voicemail.webhook && s.webhook.url !== undefined) {
      const text = this.render(s.messages.voicemail.text, s, call.tenantId, vars);
      this.webhook(call.tenantId, 'voicemail', s, text, { event: 'voicemail', messageId: message.id, box: extension?.number ?? 'general', caller: call.caller.number, at: vars.at, durationS: message.durationS, text }, `voicemail-webhook:${message.id}`, call.id);
    }
  }

  /** R-BASIC-4: a leg rings an employee's PSTN terminal: push them who is really calling. */
  private onLeg(e: LegStarted): void {
    if (!e.forwarded || e.direction !== 'outbound') return;
    const call = this.started.get(e.callId);
    if (call === undefined) return; // only calls from outside: a colleague's number is known to them
    const s = this.o.settings.of(call.tenantId);
    const vars = { caller: call.caller.number, extension: e.party.number, at: e.at };
    const mobile = parseUri(e.target)?.user;
    if (s.messages.incoming_call.sms && mobile) this.sms(call.tenantId, 'incoming-call', mobile, s.messages.incoming_call.text, s, vars, `incoming-sms:${e.legId}`, e.callId);
    if (s.messages.incoming_call.webhook && s.webhook.url !== undefined) {
      const text = this.render(s.messages.incoming_call.text, s, call.tenantId, vars);
      this.webhook(call.tenantId, 'incoming-call', s, text, { event: 'incoming-call', caller: call.caller.number, extension: e.party.number, number: call.callee.number, at: e.at, text }, `incoming-webhook:${e.legId}`, e.callId);
    }
  }

  /** R-BASIC-3: once a call from a mobile caller ended, the tenant's text to that caller. */
  private hangupSms(call: CallStarted): void {
    const s = this.o.settings.of(call.tenantId);
    const rule = s.messages.hangup_sms;
    if (!rule.enabled) return;
    const ctx = { countryCode: s.country_code };
    if (!isMobileNumber(call.caller.number, ctx)) return; // landlines, anonymous and unparsable callers get nothing
    const n = normalizeNumber(call.caller.number, ctx);
    if (isNumberError(n)) return;
    const to = n.countryCode === s.country_code ? n.national : (n.e164 ?? call.caller.number);
    if (this.o.outbox.sentRecently(call.tenantId, 'hangup-sms', to, rule.period_h * 3_600_000)) return;
    this.sms(call.tenantId, 'hangup-sms', to, rule.text, s, { caller: call.caller.number, extension: '', at: call.at }, `hangup-sms:${call.callId}`, call.callId);
  }

  private render(template: string, s: TenantSettings, tenantId: number, v: { caller: string; extension: string; at: number }): string {
    const t = localTime(v.at, s.timezone);
    const hh = String(Math.floor(t.minutes / 60)).padStart(2, '0');
    const mm = String(t.minutes % 60).padStart(2, '0');
    return renderTemplate(template, { caller: v.caller, time: `${t.date} ${hh}:${mm}`, extension: v.extension, company: s.company ?? this.o.tenantName(tenantId) ?? '' });
  }

  private sms(tenantId: number, purpose: 'hangup-sms' | 'missed-call' | 'incoming-call' | 'voicemail', to: string, template: string, s: TenantSettings, vars: { caller: string; extension: string; at: number }, dedupeKey: string, callId: string): void {
    this.enqueue({ tenantId, channel: 'sms', purpose, recipient: to, body: this.render(template, s, tenantId, vars), dedupeKey, callId });
  }

  private webhook(tenantId: number, purpose: 'incoming-call' | 'voicemail', s: TenantSettings, text: string, event: Record<string, unknown>, dedupeKey: string, callId: string): void {
    const body = s.webhook.format === 'json' ? JSON.stringify({ ...event, tenantId }) : text;
    this.enqueue({ tenantId, channel: 'webhook', purpose, recipient: s.webhook.url!, body, format: s.webhook.format, dedupeKey, callId });
  }

  private enqueue(msg: Parameters<Outbox['enqueue']>[0]): void {
    try {
      this.o.outbox.enqueue(msg);
    } catch (e) {
      // a notice must never take a call down with it
      this.o.log.error({ err: (e as Error).message, purpose: msg.purpose, callId: msg.callId }, 'notice not queued');
    }
  }
}
