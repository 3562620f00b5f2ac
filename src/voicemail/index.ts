// Voicemail (R-BASIC-5): the message store (files + rows, box counts), the owners' PINs, and the
// phones' message-waiting indication (RFC 3842 over RFC 6665: subscribed and unsolicited NOTIFY).
//
// Server wiring: `const mwi = startMwi({ stack: sip, location, store: services.voicemail,
// authenticator, log })`, `SUBSCRIBE: mwi.onSubscribe` in the ingress handlers (and SUBSCRIBE in
// Allow), `mwi.reconcile()` when another process wrote to the database (the CLI deleting a
// message), `mwi.stop()` before the stack closes.
import type { IncomingRequest } from '../sip/stack-api.ts';
import type { Peer, SipRequest, SipResponse } from '../sip/message.ts';
import type { Account } from '../sip/registrar/ports.ts';
import type { LocationService } from '../sip/registrar/location.ts';
import type { VoicemailStore } from './voicemail-store.ts';
import { MwiSubscriptions, type MwiStack } from './mwi-subscriptions.ts';
import { MwiUnsolicited } from './mwi-unsolicited.ts';
import { log as defaultLog, type Logger } from '../log.ts';

export {
  VoicemailStore,
  voicemailDir,
  boxKey,
  type VoicemailBox,
  type VoicemailFilter,
  type VoicemailMessage,
  type VoicemailStatus,
  type NewVoicemail,
  type BoxCounts,
  type VoicemailChange,
  type VoicemailAudio,
  type VoicemailActor,
} from './voicemail-store.ts';
export { VoicemailPins, checkVoicemailPin, VOICEMAIL_PIN } from './voicemail-pin.ts';
export { messageSummary, MESSAGE_SUMMARY_EVENT, MESSAGE_SUMMARY_TYPE } from './message-summary.ts';
export { MwiSubscriptions } from './mwi-subscriptions.ts';
export { MwiUnsolicited } from './mwi-unsolicited.ts';

export interface MwiOptions {
  /** The SIP stack (SipStack): dialogs' requests, out-of-dialog requests, local addresses. */
  stack: MwiStack & { request(req: Omit<SipRequest, 'version'>, options: { target: Peer }): Promise<SipResponse> };
  location: Pick<LocationService, 'contactsOf' | 'onChange'>;
  store: VoicemailStore;
  /** Digest authentication of the SUBSCRIBE (407), as for an INVITE from an extension. */
  authenticator: { authenticate(incoming: IncomingRequest, domain: string): Account | undefined };
  log?: Logger;
  now?: () => number;
  /** Subscription Expires bounds, seconds (defaults 3600 / 60 / 3600). */
  defaultExpiresS?: number;
  minExpiresS?: number;
  maxExpiresS?: number;
}

export interface RunningMwi {
  /** The SUBSCRIBE handler (new subscriptions and refreshes). */
  onSubscribe(incoming: IncomingRequest): void;
  /** Re-reads the counts of the boxes phones know about and notifies those another process changed. */
  reconcile(): number;
  /** Live subscriptions. */
  subscriptionCount(): number;
  stop(): void;
}

export function startMwi(options: MwiOptions): RunningMwi {
  const log = options.log ?? defaultLog;
  const subscriptions = new MwiSubscriptions({
    stack: options.stack,
    store: options.store,
    authenticator: options.authenticator,
    log,
    ...(options.now ? { now: options.now } : {}),
    ...(options.defaultExpiresS !== undefined ? { defaultExpiresS: options.defaultExpiresS } : {}),
    ...(options.minExpiresS !== undefined ? { minExpiresS: options.minExpiresS } : {}),
    ...(options.maxExpiresS !== undefined ? { maxExpiresS: options.maxExpiresS } : {}),
  });
  const unsolicited = new MwiUnsolicited({
    stack: options.stack,
    location: options.location,
    store: options.store,
    isSubscribed: (b) => subscriptions.isSubscribed(b),
    log,
  });
  const offStore = options.store.onChange(({ box, counts }) => {
    subscriptions.notifyBox(box);
    unsolicited.notifyBox(box, counts);
  });
  const offLocation = options.location.onChange((e) => unsolicited.onLocation(e));
  return {
    onSubscribe: (incoming) => subscriptions.handle(incoming),
    reconcile: () => options.store.reconcile(),
    subscriptionCount: () => subscriptions.size,
    stop: () => {
      offStore();
      offLocation();
      subscriptions.stop();
    },
  };
}
