// The forking rules on their own (fork.ts), with stand-in legs and fake timers: who wins, who is
// cancelled and with which Reason, what the caller hears when nobody answers.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { COMPLETED_ELSEWHERE, Fork, failureOutcome, type ForkOptions } from '../../src/calls/fork.ts';
import type { OutboundLeg } from '../../src/calls/outbound-leg.ts';
import type { SipResponse } from '../../src/sip/message.ts';

interface FakeLeg {
  index: number;
  state: string;
  cancelledWith: string | undefined | null; // null = not cancelled
  byes: number;
  events: { provisional(leg: OutboundLeg, r: SipResponse): void; final(leg: OutboundLeg, r: SipResponse): void };
}

const response = (status: number): SipResponse => ({ status, reason: String(status), version: '2.0', headers: {} as SipResponse['headers'], content: '' });

function harness(strategy: ForkOptions['strategy'], targets: number, timeoutS = 20) {
  const legs: FakeLeg[] = [];
  const ended: Array<{ index: number; why: string }> = [];
  const fork = new Fork({
    strategy,
    timeoutS,
    targets,
    start: (index, events) => {
      const leg: FakeLeg = { index, state: 'calling', cancelledWith: null, byes: 0, events };
      const api = {
        get state() {
          return leg.state;
        },
        cancel: (reason?: string) => {
          leg.cancelledWith = reason;
          leg.state = 'cancelled';
        },
        bye: () => {
          leg.byes++;
          return undefined;
        },
      };
      legs.push(leg);
      (leg as unknown as { api: unknown }).api = api;
      return api as unknown as OutboundLeg;
    },
    onProvisional: () => {},
    onForkEnded: (leg, _r, why) => ended.push({ index: legs.findIndex((l) => (l as unknown as { api: unknown }).api === leg), why }),
  });
  const answer = (i: number, status: number) => legs[i]!.events.final((legs[i] as unknown as { api: OutboundLeg }).api, response(status));
  return { fork, legs, ended, answer };
}

describe('forking', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('simultaneous: all ring, the first 2xx wins, the others are cancelled as completed elsewhere', async () => {
    const h = harness('simultaneous', 3);
    expect(h.legs).toHaveLength(3);
    h.answer(1, 200);
    const o = await h.fork.outcome;
    expect(o.answered).toBe(true);
    expect(h.legs[0]!.cancelledWith).toBe(COMPLETED_ELSEWHERE);
    expect(h.legs[2]!.cancelledWith).toBe(COMPLETED_ELSEWHERE);
    expect(h.legs[1]!.cancelledWith).toBeNull();
    expect(COMPLETED_ELSEWHERE).toBe('SIP;cause=200;text="Call completed elsewhere"');
  });

  it('a second 2xx after the winner is hung up (BYE), never connected', async () => {
    const h = harness('simultaneous', 2);
    h.answer(0, 200);
    await h.fork.outcome;
    h.answer(1, 200); // its CANCEL crossed its 200
    expect(h.legs[1]!.byes).toBe(1);
  });

  it('sequential: the next terminal rings only after the previous one timed out', async () => {
    const h = harness('sequential', 3, 5);
    expect(h.legs).toHaveLength(1);
    vi.advanceTimersByTime(4999);
    expect(h.legs).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(h.legs[0]!.cancelledWith).toBeUndefined(); // plain CANCEL: it simply was not answered
    expect(h.legs).toHaveLength(2);
    h.answer(1, 200);
    const o = await h.fork.outcome;
    expect(o.answered).toBe(true);
    expect(h.legs).toHaveLength(2); // the third never rang
  });

  it('sequential: a terminal that fails at once moves on to the next without waiting', async () => {
    const h = harness('sequential', 2, 20);
    h.answer(0, 480);
    expect(h.legs).toHaveLength(2);
  });

  it('nobody answers: the caller hears no-answer (480) after the timeout, every leg cancelled', async () => {
    const h = harness('simultaneous', 2, 5);
    vi.advanceTimersByTime(5000);
    const o = await h.fork.outcome;
    expect(o).toMatchObject({ answered: false, status: 480, disposition: 'no-answer' });
    expect(h.legs.every((l) => l.state === 'cancelled')).toBe(true);
    expect(h.ended.map((e) => e.why)).toEqual(['timeout', 'timeout']);
  });

  it('busy wins over no-answer; a 6xx ends the search at once', async () => {
    const h = harness('simultaneous', 3);
    h.answer(0, 486);
    h.answer(1, 408);
    h.answer(2, 480);
    expect(await h.fork.outcome).toMatchObject({ answered: false, status: 486, disposition: 'busy' });
    const g = harness('simultaneous', 2);
    g.answer(0, 603);
    expect(await g.fork.outcome).toMatchObject({ answered: false, status: 603, disposition: 'rejected' });
    expect(g.legs[1]!.state).toBe('cancelled');
  });

  it('the caller cancelling cancels every ringing leg and the outcome is 487', async () => {
    const h = harness('simultaneous', 2);
    h.fork.cancel('SIP;cause=487');
    expect(await h.fork.outcome).toMatchObject({ answered: false, status: 487, disposition: 'cancelled' });
    expect(h.legs.map((l) => l.cancelledWith)).toEqual(['SIP;cause=487', 'SIP;cause=487']);
  });

  it('no terminals: 480 at once', async () => {
    const h = harness('simultaneous', 0);
    expect(await h.fork.outcome).toMatchObject({ answered: false, status: 480 });
  });

  it('no terminals left (none takes the codecs): the outcome the caller gave', async () => {
    const fork = new Fork({
      strategy: 'simultaneous',
      timeoutS: 20,
      targets: 0,
      noTargets: { answered: false, status: 488, reason: 'Not Acceptable Here', disposition: 'failed' },
      start: () => {
        throw new Error('nothing to start');
      },
      onProvisional: () => {},
    });
    expect(await fork.outcome).toEqual({ answered: false, status: 488, reason: 'Not Acceptable Here', disposition: 'failed' });
  });
});

describe('failureOutcome', () => {
  it('maps what the terminals said to what the caller hears', () => {
    expect(failureOutcome([404, 503])).toMatchObject({ status: 404, disposition: 'failed' });
    expect(failureOutcome([488])).toMatchObject({ status: 488, disposition: 'rejected' });
    expect(failureOutcome([487, 408])).toMatchObject({ status: 480, disposition: 'no-answer' });
  });
});
