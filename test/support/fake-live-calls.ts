// A LiveCalls (src/calls/live-calls.ts) over a plain array, for the API and CLI tests of the live view.
import type { LiveCall, LiveCalls } from '../../src/calls/live-calls.ts';

export class FakeLiveCalls implements LiveCalls {
  readonly hungUp: Array<{ id: string; reason: string | undefined }> = [];
  constructor(public calls: LiveCall[] = []) {}

  list(tenantId?: number): LiveCall[] {
    return this.calls.filter((c) => tenantId === undefined || c.tenantId === tenantId).sort((a, b) => a.startedAt - b.startedAt);
  }
  get(id: string): LiveCall | undefined {
    return this.calls.find((c) => c.id === id);
  }
  hangup(id: string, reason?: string): boolean {
    const i = this.calls.findIndex((c) => c.id === id);
    if (i < 0) return false;
    this.calls.splice(i, 1);
    this.hungUp.push({ id, reason });
    return true;
  }
}

export function liveCall(over: Partial<LiveCall> & Pick<LiveCall, 'id' | 'tenantId'>): LiveCall {
  return {
    direction: 'internal',
    state: 'answered',
    caller: { number: '1001', name: 'Alice' },
    callee: { number: '1002' },
    startedAt: Date.now() - 65_000,
    answeredAt: Date.now() - 60_000,
    legs: 2,
    recording: false,
    ...over,
  };
}
