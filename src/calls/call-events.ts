// The call event bus (ARCHITECTURE.md "Layers"): call control publishes what happens to calls
// and legs; side concerns (CDR writer, metrics, live view, later rating and the outbox)
// subscribe. Apps never write call records themselves. Delivery is synchronous and in order;
// a subscriber that throws is logged and does not stop the others or the call.
import type { Logger } from '../log.ts';

/** Why a call or leg ended, as the call record shows it. */
export type Disposition = 'answered' | 'busy' | 'no-answer' | 'cancelled' | 'failed' | 'rejected' | 'blocked';

/** Who ended it: the calling side, the called side, or the PBX (timeout, admin hang-up, shutdown, error). */
export type HangupBy = 'caller' | 'callee' | 'system';

/** One party of a call as the record shows it. */
export interface Party {
  /** The number as dialled / presented (extension number, or an outside number). */
  number: string;
  /** The extension, when the party is one of the tenant's extensions. */
  extensionId?: number;
  /** Display name, when known. */
  name?: string;
}

export interface CallStarted {
  callId: string;
  tenantId: number;
  at: number; // ms since epoch
  direction: 'internal' | 'inbound' | 'outbound';
  caller: Party;
  callee: Party;
  /** SIP Call-ID of the caller's dialog (for support). */
  sipCallId: string;
}

export interface CallAnswered {
  callId: string;
  at: number;
  /** The outbound leg that answered. */
  legId: string;
}

export interface CallEnded {
  callId: string;
  at: number;
  disposition: Disposition;
  hangupBy: HangupBy;
  /** SIP status that decided the outcome (e.g. 486, 487, 200 for an answered call), if any. */
  sipCode?: number;
  /** Free text: the Reason header, "rtp timeout", "admin hangup", "shutdown", … */
  reason?: string;
}

export interface LegStarted {
  callId: string;
  legId: string;
  at: number;
  /** inbound = the caller's leg (a UAS dialog); outbound = a leg the PBX placed (UAC). */
  direction: 'inbound' | 'outbound';
  party: Party;
  /** The SIP URI the leg was sent to / came from (a registered contact for extension legs). */
  target: string;
  /** The leg rings a PSTN terminal (an employee's mobile, a direct line's number): a forwarded call. */
  forwarded?: boolean;
  /** The trunk the leg goes through or came in on. */
  trunkId?: number;
}

export interface LegAnswered {
  callId: string;
  legId: string;
  at: number;
}

export interface LegEnded {
  callId: string;
  legId: string;
  at: number;
  disposition: Disposition;
  hangupBy: HangupBy;
  sipCode?: number;
  reason?: string;
}

export interface RecordingStarted {
  callId: string;
  tenantId: number;
  at: number;
  /** Absolute path of the two-channel WAV (caller left, callee right). */
  path: string;
}

export interface RecordingFinished {
  callId: string;
  at: number;
  path: string;
  seconds: number;
  error?: string;
}

export interface CallEventMap {
  'call.started': CallStarted;
  'call.answered': CallAnswered;
  'call.ended': CallEnded;
  'leg.started': LegStarted;
  'leg.answered': LegAnswered;
  'leg.ended': LegEnded;
  'recording.started': RecordingStarted;
  'recording.finished': RecordingFinished;
}

export type CallEventName = keyof CallEventMap;
type Listener<K extends CallEventName> = (event: CallEventMap[K]) => void;

export class CallEventBus {
  private readonly listeners = new Map<CallEventName, Array<(e: never) => void>>();
  private readonly log: Logger | undefined;

  constructor(log?: Logger) {
    this.log = log;
  }

  on<K extends CallEventName>(name: K, fn: Listener<K>): () => void {
    let list = this.listeners.get(name);
    if (list === undefined) this.listeners.set(name, (list = []));
    list.push(fn as (e: never) => void);
    return () => {
      const l = this.listeners.get(name);
      if (l === undefined) return;
      const i = l.indexOf(fn as (e: never) => void);
      if (i >= 0) l.splice(i, 1);
    };
  }

  emit<K extends CallEventName>(name: K, event: CallEventMap[K]): void {
    const list = this.listeners.get(name);
    if (list === undefined) return;
    for (const fn of [...list]) {
      try {
        (fn as Listener<K>)(event);
      } catch (err) {
        this.log?.error({ err, event: name }, 'call event subscriber threw');
      }
    }
  }
}
