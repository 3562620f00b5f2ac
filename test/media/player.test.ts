import { describe, expect, it } from 'vitest';
import { ALAW_TO_LINEAR, ULAW_TO_LINEAR, LINEAR_TO_ALAW, LINEAR_TO_ULAW } from '../../src/media/g711.ts';
import { type Clock, PlayoutClock } from '../../src/media/playout-clock.ts';
import { type PlayItem, type PlayResult, Player, type PlayerOptions, type RtpStreamState } from '../../src/media/player.ts';
import { readRtpHeader, type RtpHeader, timestampDelta } from '../../src/media/rtp-packet.ts';

/** A fake monotonic clock: timers fire exactly at their due time when advanced. */
class FakeClock implements Clock {
  t = 0;
  private timers: { at: number; seq: number; fn: () => void; cancelled: boolean }[] = [];
  private seq = 0;
  /** Extra delay added to every timer (simulating a late event loop). */
  lateness = 0;
  /** Makes only the next timer fire this many ms early. */
  earlyOnce = 0;
  now = (): number => this.t;
  schedule = (fn: () => void, ms: number): (() => void) => {
    const timer = { at: this.t + Math.max(0, ms) + this.lateness - this.earlyOnce, seq: this.seq++, fn, cancelled: false };
    this.earlyOnce = 0;
    this.timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  };
  get pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }
  /** Runs every timer due up to now + ms, in order, setting the time to each one's due time. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      this.timers = this.timers.filter((t) => !t.cancelled);
      let next: (typeof this.timers)[number] | undefined;
      for (const t of this.timers) if (t.at <= end && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
      if (!next) break;
      this.timers.splice(this.timers.indexOf(next), 1);
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = end;
  }
  /** Jumps the time without running timers (an event-loop stall). */
  stall(ms: number): void {
    this.t += ms;
  }
}

interface Sent {
  at: number;
  h: RtpHeader;
  payload: Buffer;
}

function setup(opts: Partial<PlayerOptions> & { stream?: RtpStreamState } = {}) {
  const clock = new FakeClock();
  const playout = new PlayoutClock(clock);
  const sent: Sent[] = [];
  const stream = opts.stream ?? { ssrc: 0x11223344, sequence: 65530, timestamp: 0xffffff00 };
  const player = new Player({
    codec: 'PCMA',
    send: (p) => {
      const h = readRtpHeader(p)!;
      sent.push({ at: clock.t, h: { ...h }, payload: p.subarray(h.payloadOffset, h.payloadOffset + h.payloadLength) });
    },
    ...opts,
    stream,
    clock: playout,
  });
  return { clock, playout, player, sent, stream };
}

/** A sine sweep-ish test signal of n samples. */
function tone(n: number, freq = 440, amp = 8000): Int16Array {
  const s = new Int16Array(n);
  for (let i = 0; i < n; i++) s[i] = Math.round(amp * Math.sin((2 * Math.PI * freq * i) / 8000));
  return s;
}

const pcm = (samples: Int16Array): PlayItem => ({ format: 'pcm16', samples });

describe('Player', () => {
  it('sends one 160-sample packet per 20 ms for the duration of the audio, then finishes', async () => {
    const { clock, player, sent, playout } = setup();
    const results: PlayResult[] = [];
    const pb = player.play(pcm(tone(8000)), { onDone: (r) => results.push(r) }); // 1 s
    clock.advance(2000);
    expect(sent).toHaveLength(50);
    expect(sent.every((p) => p.payload.length === 160)).toBe(true);
    expect(results).toEqual([{ id: pb.id, reason: 'finished', packets: 50 }]);
    expect(await pb.done).toEqual(results[0]);
    // The last packet went out at 980 ms; the player then leaves the clock and the timer stops.
    expect(sent.at(-1)!.at).toBe(sent[0]!.at + 49 * 20);
    expect(playout.size).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('pads a partial last packet with silence', () => {
    const { clock, player, sent } = setup();
    player.play(pcm(tone(170)));
    clock.advance(100);
    expect(sent).toHaveLength(2);
    expect([...sent[1]!.payload.subarray(10)].every((b) => b === 0xd5)).toBe(true);
  });

  it('increments sequence by 1 and timestamp by 160 (with wrap), marker only on the first packet', () => {
    const { clock, player, sent } = setup();
    player.play(pcm(tone(1600)));
    clock.advance(1000);
    expect(sent).toHaveLength(10);
    sent.forEach((p, k) => {
      expect(p.h.sequence).toBe((65530 + k) & 0xffff);
      expect(p.h.timestamp).toBe((0xffffff00 + 160 * k) >>> 0);
      expect(p.h.ssrc).toBe(0x11223344);
      expect(p.h.marker).toBe(k === 0);
    });
  });

  it('uses the payload type of the codec (PCMA 8, PCMU 0) or the one given', () => {
    for (const [codec, payloadType, expected] of [['PCMA', undefined, 8], ['PCMU', undefined, 0], ['PCMU', 96, 96]] as const) {
      const { clock, player, sent } = setup({ codec, payloadType });
      player.play(pcm(tone(320)));
      clock.advance(100);
      expect(sent.map((p) => p.h.payloadType)).toEqual([expected, expected]);
    }
  });

  it('encodes PCM16 to A-law and µ-law so that it decodes back to the source', () => {
    const src = tone(1600, 1000, 12000);
    for (const [codec, decode] of [['PCMA', ALAW_TO_LINEAR], ['PCMU', ULAW_TO_LINEAR]] as const) {
      const { clock, player, sent } = setup({ codec });
      player.play(pcm(src));
      clock.advance(1000);
      const back = Buffer.concat(sent.map((p) => p.payload));
      expect(back.length).toBe(1600);
      let signal = 0;
      let noise = 0;
      for (let i = 0; i < src.length; i++) {
        signal += src[i]! ** 2;
        noise += (decode[back[i]!]! - src[i]!) ** 2;
      }
      expect(10 * Math.log10(signal / noise)).toBeGreaterThan(33); // G.711 gives about 38 dB
      const table = codec === 'PCMA' ? LINEAR_TO_ALAW : LINEAR_TO_ULAW;
      expect([...back]).toEqual([...src].map((x) => table[x & 0xffff]));
    }
  });

  it('sends pre-encoded A-law as is to a PCMA leg and transcodes it for a PCMU leg', () => {
    const alaw = Uint8Array.from(tone(160), (s) => LINEAR_TO_ALAW[s & 0xffff]!);
    const a = setup({ codec: 'PCMA' });
    a.player.play({ format: 'alaw', data: alaw });
    a.clock.advance(40);
    expect([...a.sent[0]!.payload]).toEqual([...alaw]);
    const u = setup({ codec: 'PCMU' });
    u.player.play({ format: 'alaw', data: alaw });
    u.clock.advance(40);
    const expected = [...alaw].map((c) => LINEAR_TO_ULAW[ALAW_TO_LINEAR[c]! & 0xffff]!);
    expect([...u.sent[0]!.payload]).toEqual(expected);
    const mu = setup({ codec: 'PCMU' });
    mu.player.play({ format: 'ulaw', data: Uint8Array.from(expected) });
    mu.clock.advance(40);
    expect([...mu.sent[0]!.payload]).toEqual(expected);
  });

  it('plays a list of items back to back as one stream (digits), with one marker', () => {
    const { clock, player, sent } = setup();
    const results: PlayResult[] = [];
    player.play([pcm(tone(100)), { format: 'silence', ms: 20 }, pcm(tone(220))], { onDone: (r) => results.push(r) });
    clock.advance(500);
    expect(sent).toHaveLength(3); // 100 + 160 + 220 = 480 samples
    expect(sent.map((p) => p.h.marker)).toEqual([true, false, false]);
    expect(sent[0]!.payload[100]).toBe(0xd5); // the silence item starts right after the first item
    expect(results[0]!.reason).toBe('finished');
  });

  it('loops until stopped', () => {
    const { clock, player, sent } = setup();
    const results: PlayResult[] = [];
    player.play(pcm(tone(400)), { loop: true, onDone: (r) => results.push(r) }); // 2.5 packets
    clock.advance(990);
    expect(sent).toHaveLength(50);
    // The audio repeats every 400 samples: packet 5 starts where packet 0 started (2000 = 5 × 400).
    expect(Buffer.compare(sent[5]!.payload, sent[0]!.payload)).toBe(0);
    expect(sent[2]!.payload.subarray(80, 160)).toEqual(sent[0]!.payload.subarray(0, 80));
    expect(sent.filter((p) => p.h.marker)).toHaveLength(1);
    expect(results).toEqual([]);
    expect(player.stop()).toBe(1);
    expect(results).toMatchObject([{ reason: 'stopped', packets: 50 }]);
    clock.advance(10_000);
    expect(sent).toHaveLength(50);
  });

  it('stop() ends the current and the queued plays at once; no packet follows', () => {
    const { clock, player, sent } = setup();
    const results: PlayResult[] = [];
    const a = player.play(pcm(tone(8000)), { onDone: (r) => results.push(r) });
    const b = player.play(pcm(tone(8000)), { onDone: (r) => results.push(r) });
    clock.advance(210);
    expect(sent).toHaveLength(11);
    player.stop();
    expect(results).toEqual([
      { id: a.id, reason: 'stopped', packets: 11 },
      { id: b.id, reason: 'stopped', packets: 0 },
    ]);
    clock.advance(1000);
    expect(sent).toHaveLength(11);
    expect(player.playing).toBe(false);
    expect(clock.pending).toBe(0);
  });

  it('a play queued from the onDone of a stopped play is not stopped with it', () => {
    const { clock, player, sent } = setup();
    player.play(pcm(tone(8000)), { onDone: (r) => r.reason === 'stopped' && player.play(pcm(tone(320))) });
    clock.advance(40);
    expect(player.stop()).toBe(1);
    clock.advance(100);
    expect(sent).toHaveLength(5);
    expect(sent[3]!.h.marker).toBe(true);
    expect(sent[3]!.at - sent[2]!.at).toBe(20);
  });

  it('stop(id) removes one queued play and leaves the current one playing', () => {
    const { clock, player, sent } = setup();
    const a = player.play(pcm(tone(800)));
    const b = player.play(pcm(tone(800)));
    expect(player.stop(b.id)).toBe(1);
    clock.advance(1000);
    expect(sent).toHaveLength(5);
    return expect(Promise.all([a.done, b.done]).then((r) => r.map((x) => x.reason))).resolves.toEqual(['finished', 'stopped']);
  });

  it('interrupt() ends an interruptible play at once and the next queued play follows', () => {
    const { clock, player, sent } = setup();
    const results: PlayResult[] = [];
    player.play(pcm(tone(8000)), { interruptible: true, onDone: (r) => results.push(r) });
    player.play(pcm(tone(320)), { onDone: (r) => results.push(r) });
    clock.advance(100);
    expect(sent).toHaveLength(6);
    expect(player.interrupt()).toBe(true);
    expect(results).toMatchObject([{ reason: 'interrupted', packets: 6 }]);
    expect(player.interrupt()).toBe(false); // the next play is not interruptible
    clock.advance(1000);
    expect(sent).toHaveLength(8);
    expect(sent[6]!.h.marker).toBe(true); // a new play: a new talk-spurt
    expect(sent[6]!.at - sent[5]!.at).toBe(20); // and no gap
    expect(results.map((r) => r.reason)).toEqual(['interrupted', 'finished']);
  });

  it('interrupt() leaves a play that is not interruptible alone', () => {
    const { clock, player, sent } = setup();
    player.play(pcm(tone(800)));
    clock.advance(20);
    expect(player.interrupt()).toBe(false);
    clock.advance(200);
    expect(sent).toHaveLength(5);
  });

  it('continues sequence and timestamp across consecutive plays, with a marker on each', () => {
    const { clock, player, sent } = setup();
    player.play(pcm(tone(480)), {
      onDone: () => player.play(pcm(tone(320))), // queued from the callback: no gap
    });
    clock.advance(500);
    expect(sent).toHaveLength(5);
    expect(sent.map((p) => p.h.marker)).toEqual([true, false, false, true, false]);
    for (let k = 1; k < 5; k++) {
      expect(sent[k]!.h.sequence).toBe((sent[k - 1]!.h.sequence + 1) & 0xffff);
      expect(sent[k]!.h.timestamp).toBe((sent[k - 1]!.h.timestamp + 160) >>> 0);
      expect(sent[k]!.at - sent[k - 1]!.at).toBe(20);
    }
  });

  it('after a pause the sequence continues and the timestamp advances by the silent time', () => {
    const { clock, player, sent, stream } = setup();
    player.play(pcm(tone(320)));
    clock.advance(1000);
    player.play(pcm(tone(320)));
    clock.advance(1000);
    expect(sent).toHaveLength(4);
    expect(sent[2]!.h.sequence).toBe((sent[1]!.h.sequence + 1) & 0xffff);
    const elapsed = sent[2]!.at - sent[1]!.at;
    expect(elapsed).toBeGreaterThan(900);
    expect(timestampDelta(sent[1]!.h.timestamp, sent[2]!.h.timestamp)).toBe(Math.round(elapsed / 20) * 160);
    expect(stream.sequence).toBe((sent[3]!.h.sequence + 1) & 0xffff);
  });

  it('shares one stream state between two players (e.g. a new Player for the same leg)', () => {
    const clock = new FakeClock();
    const playout = new PlayoutClock(clock);
    const stream: RtpStreamState = { ssrc: 1, sequence: 100, timestamp: 1000 };
    const seqs: number[] = [];
    const send = (p: Buffer) => seqs.push(readRtpHeader(p)!.sequence);
    new Player({ codec: 'PCMU', stream, send, clock: playout }).play(pcm(tone(320)));
    clock.advance(100);
    new Player({ codec: 'PCMU', stream, send, clock: playout }).play(pcm(tone(320)));
    clock.advance(100);
    expect(seqs).toEqual([100, 101, 102, 103]);
  });

  it('sends at most 5 overdue packets after a stall, then continues on the tick grid', () => {
    const { clock, player, sent } = setup();
    player.play(pcm(tone(8000 * 5)));
    clock.advance(100); // packets at 0..100
    expect(sent).toHaveLength(6);
    clock.stall(1000); // the event loop was blocked for a second: 50 packets overdue
    clock.advance(0);
    expect(sent).toHaveLength(11); // a bounded burst of 5
    expect(sent.slice(6).every((p) => p.at === 1100)).toBe(true);
    clock.advance(100);
    expect(sent).toHaveLength(16); // then one per 20 ms again, no further catch-up
    expect(sent.slice(11).map((p) => p.at)).toEqual([1120, 1140, 1160, 1180, 1200]);
    expect(player.stats.reanchors).toBe(1);
    // sequence and timestamp stay contiguous through the stall
    sent.forEach((p, k) => k > 0 && expect(p.h.sequence).toBe((sent[k - 1]!.h.sequence + 1) & 0xffff));
  });

  it('a short stall is caught up entirely without re-anchoring', () => {
    const { clock, player, sent } = setup();
    player.play(pcm(tone(8000)));
    clock.advance(40); // 0, 20, 40
    clock.stall(70); // now 110: slots 60, 80, 100 are overdue
    clock.advance(0);
    expect(sent).toHaveLength(6);
    clock.advance(10); // 120
    expect(sent).toHaveLength(7);
    expect(player.stats.reanchors).toBe(0);
  });

  it('keeps its slots on the grid when the timer fires late (no accumulated lateness)', () => {
    const { clock, player, sent } = setup();
    clock.lateness = 3; // every timer fires 3 ms late
    player.play(pcm(tone(8000 * 10)));
    clock.advance(10_000);
    const t0 = sent[0]!.at;
    expect(sent.length).toBeGreaterThanOrEqual(499);
    sent.forEach((p, k) => expect(p.at - t0 - 20 * k).toBeLessThanOrEqual(3));
  });

  it('does not drift over a simulated hour: packet k is sent at exactly start + 20k ms', () => {
    const clock = new FakeClock();
    clock.t = 123_456.5; // an arbitrary start
    const times: number[] = [];
    const p = new Player({ codec: 'PCMU', stream: { ssrc: 1, sequence: 0, timestamp: 0 }, send: () => times.push(clock.t), clock: new PlayoutClock(clock) });
    p.play(pcm(tone(8000)), { loop: true });
    clock.advance(3_600_000);
    expect(times.length).toBe(180_001); // slots 0 … 180000 inclusive
    let bad = 0;
    for (let k = 0; k < times.length; k++) if (times[k] !== times[0]! + 20 * k) bad++;
    expect(bad).toBe(0);
    p.stop();
  });

  it('drives many players from one timer', () => {
    const clock = new FakeClock();
    const playout = new PlayoutClock(clock);
    let count = 0;
    const players = Array.from({ length: 100 }, (_, i) => new Player({ codec: 'PCMA', stream: { ssrc: i, sequence: 0, timestamp: 0 }, send: () => count++, clock: playout }));
    for (const p of players) p.play(pcm(tone(1600)));
    expect(clock.pending).toBe(1);
    clock.advance(1000);
    expect(count).toBe(100 * 10);
    expect(playout.stats.ticks).toBe(11); // ten ticks with packets, one that found nothing left
    expect(clock.pending).toBe(0);
  });

  it('finishes an empty play at once without sending', async () => {
    const { clock, player, sent } = setup();
    const pb = player.play([]);
    clock.advance(100);
    expect(sent).toHaveLength(0);
    expect((await pb.done).reason).toBe('finished');
  });

  it('a throwing send is counted and does not stop the play', () => {
    const clock = new FakeClock();
    const errors: unknown[] = [];
    const player = new Player({
      codec: 'PCMA',
      stream: { ssrc: 1, sequence: 0, timestamp: 0 },
      send: () => {
        throw new Error('EHOSTUNREACH');
      },
      clock: new PlayoutClock(clock),
      onError: (e) => errors.push(e),
    });
    player.play(pcm(tone(480)));
    clock.advance(100);
    expect(player.stats.sendErrors).toBe(3);
    expect(errors).toHaveLength(3);
    expect(player.playing).toBe(false);
  });
});

describe('PlayoutClock', () => {
  it('ticks on its grid, stops when idle and resumes with increasing tick numbers at once', () => {
    const clock = new FakeClock();
    const playout = new PlayoutClock(clock);
    const seen: [number, number][] = [];
    let left = 3;
    const source = {
      pump: (tick: number) => {
        seen.push([tick, clock.t]);
        if (--left === 0) playout.remove(source);
      },
    };
    clock.t = 1000;
    playout.add(source);
    clock.advance(500);
    expect(seen).toEqual([
      [0, 1000],
      [1, 1020],
      [2, 1040],
    ]);
    expect(clock.pending).toBe(0);
    expect(playout.tickTime(2)).toBe(1040);
    clock.advance(7); // t = 1507
    left = 2;
    playout.add(source);
    clock.advance(100);
    expect(seen.slice(3)).toEqual([
      [3, 1507],
      [4, 1527],
    ]);
  });

  it('waits again when a timer fires too early, and runs a slightly early one', () => {
    const clock = new FakeClock();
    const playout = new PlayoutClock(clock);
    const ticks: number[] = [];
    playout.add({ pump: (t) => ticks.push(t) });
    clock.advance(0);
    expect(ticks).toEqual([0]);
    // (earlyOnce applies to the next timer scheduled, i.e. by the tick before)
    clock.earlyOnce = 5;
    clock.advance(20); // tick 1 at 20 schedules tick 2, which fires at 35: 5 ms early
    expect(ticks).toEqual([0, 1]);
    clock.advance(15); // t = 35: beyond the tolerance, rescheduled, not run
    expect(ticks).toEqual([0, 1]);
    clock.earlyOnce = 0.5;
    clock.advance(5); // t = 40: tick 2; tick 3 will fire at 59.5
    expect(ticks).toEqual([0, 1, 2]);
    clock.advance(19.5); // within the 1 ms tolerance: run early
    expect(ticks).toEqual([0, 1, 2, 3]);
  });

  it('jumps over missed ticks after a stall and counts them', () => {
    const clock = new FakeClock();
    const playout = new PlayoutClock(clock);
    const ticks: number[] = [];
    playout.add({ pump: (t) => ticks.push(t) });
    clock.advance(20);
    clock.stall(105); // t = 125
    clock.advance(0);
    clock.advance(15); // t = 140
    expect(ticks).toEqual([0, 1, 6, 7]);
    expect(playout.stats.skippedTicks).toBe(4);
  });

  it('keeps running the other sources when one throws', () => {
    const clock = new FakeClock();
    const errors: unknown[] = [];
    const playout = new PlayoutClock(clock, { onError: (e) => errors.push(e) });
    let ok = 0;
    playout.add({
      pump: () => {
        throw new Error('boom');
      },
    });
    playout.add({ pump: () => ok++ });
    clock.advance(40);
    expect(ok).toBe(3);
    expect(errors).toHaveLength(3);
  });
});
