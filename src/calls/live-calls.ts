// What the live view (API GET /calls, `pbx calls`, the portal later) sees of calls in progress,
// and the one action it may take on them. Call control implements it (call-registry.ts).

export type LiveCallState = 'ringing' | 'answered' | 'held' | 'transferring' | 'ending';

export interface LiveCallParty {
  number: string;
  extensionId?: number;
  name?: string;
}

export interface LiveCall {
  /** The call id (the same as the call record's id). */
  id: string;
  tenantId: number;
  direction: 'internal' | 'inbound' | 'outbound';
  state: LiveCallState;
  caller: LiveCallParty;
  callee: LiveCallParty;
  /** ms since epoch */
  startedAt: number;
  answeredAt?: number;
  /** Legs ringing or connected now (the caller's included). */
  legs: number;
  recording: boolean;
}

export interface LiveCalls {
  /** Calls in progress, oldest first; only the tenant's when tenantId is given. */
  list(tenantId?: number): LiveCall[];
  get(id: string): LiveCall | undefined;
  /** Ends the call (BYE/CANCEL to every leg, reason "admin hangup"); false when there is no such call. */
  hangup(id: string, reason?: string): boolean;
}
