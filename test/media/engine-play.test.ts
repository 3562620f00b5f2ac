// play / stopPlay through the media facade, in-thread and in worker threads, over loopback.
import { beforeAll, describe, expect, it } from 'vitest';
import { MediaEngine, MediaCommandError, type PlayDoneEvent } from '../../src/media/engine.ts';
import { buildDtmfEvent } from '../../src/media/dtmf-sender.ts';
import { readRtpHeader, type RtpHeader } from '../../src/media/rtp-packet.ts';
import { PromptLibrary } from '../../src/media/prompt-library.ts';
import { Phone, sleep, useTestEngine } from './relay-fixtures.ts';

const PCMA = [
  { pt: 8, name: 'PCMA' },
  { pt: 101, name: 'telephone-event' },
];

/** Every RTP header a phone receives, with its arrival time. */
function record(p: Phone): { h: RtpHeader; at: number }[] {
  const got: { h: RtpHeader; at: number }[] = [];
  p.socket.on('message', (msg) => {
    const h = readRtpHeader(msg);
    if (h !== undefined) got.push({ h: { ...h }, at: performance.now() });
  });
  return got;
}

function waitFor<T>(list: T[], pred: (x: T) => boolean, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const until = Date.now() + ms;
    const check = (): void => {
      const hit = list.find(pred);
      if (hit !== undefined || Date.now() > until) resolve(hit);
      else setTimeout(check, 5);
    };
    check();
  });
}

const beepPackets = Math.ceil(new PromptLibrary().load('beep', 'en').samples.length / 160);

describe.each([
  { mode: 'in-thread', inThread: true },
  { mode: 'worker threads', inThread: false },
])('engine play ($mode)', ({ inThread }) => {
  let engine: MediaEngine;
  const done: PlayDoneEvent[] = [];
  const suite = useTestEngine(inThread);
  const open = suite.open;

  beforeAll(async () => {
    engine = suite.engine;
    engine.on('playDone', (e) => done.push(e));
  });

  it('plays a prompt to leg A as continuous 20 ms RTP in its codec, replacing the relayed audio, and relays after', async () => {
    const [a, b] = [await open(), await open()];
    const s = await engine.createSession({ a: { remote: { address: '127.0.0.1', port: a.port }, codecs: PCMA }, b: { remote: { address: '127.0.0.1', port: b.port }, codecs: PCMA } });
    const got = record(a);
    // B talks all along (20 ms packets of PCMA)
    let talking = true;
    const talk = (async () => {
      while (talking) {
        b.rtp(s.b.port, 8);
        await sleep(20);
      }
    })();
    await waitFor(got, () => true, 1000); // relay is up
    const { playId } = await engine.play(s.sessionId, 'a', { prompts: [{ id: 'beep', language: 'en' }] });
    const end = await waitFor(done, (e) => e.playId === playId, 3000);
    expect(end).toMatchObject({ sessionId: s.sessionId, leg: 'a', playId, reason: 'finished' });
    expect(Math.abs(end!.packets - beepPackets)).toBeLessThanOrEqual(1);
    await sleep(200); // relayed audio resumes
    talking = false;
    await talk;

    const first = got.findIndex((g) => g.h.ssrc !== b.ssrc);
    expect(first).toBeGreaterThan(0);
    const ours = got.slice(first);
    const ssrc = ours[0]!.h.ssrc;
    expect(ours.every((g) => g.h.ssrc === ssrc)).toBe(true); // one stream: prompt, then the relay renumbered into it
    expect(ours[0]!.h.marker).toBe(true);
    const played = ours.slice(0, end!.packets);
    expect(played.every((g) => g.h.payloadType === 8 && g.h.payloadLength === 160)).toBe(true);
    for (let i = 1; i < ours.length; i++) {
      expect(ours[i]!.h.sequence).toBe((ours[i - 1]!.h.sequence + 1) & 0xffff);
      expect((ours[i]!.h.timestamp - ours[i - 1]!.h.timestamp) >>> 0).toBeGreaterThanOrEqual(160);
    }
    for (let i = 1; i < played.length; i++) {
      expect((played[i]!.h.timestamp - played[i - 1]!.h.timestamp) >>> 0).toBe(160);
      expect(played[i]!.h.marker).toBe(false);
    }
    // paced: the prompt took about its duration
    const span = played[played.length - 1]!.at - played[0]!.at;
    expect(span).toBeGreaterThan((played.length - 1) * 20 - 60);
    expect(span).toBeLessThan((played.length - 1) * 20 + 150);
    // relayed packets after the play continue the stream (marker on the first)
    const after = ours.slice(end!.packets);
    expect(after.length).toBeGreaterThan(3);
    expect(after[0]!.h.marker).toBe(true);
    // while playing nothing of B's reached A
    const st = await engine.sessionStats(s.sessionId);
    expect(st.a.rtpOut).toBeGreaterThan(0);
    await engine.destroy(s.sessionId);
  });

  it('stopPlay ends a looping play with "stopped"', async () => {
    const a = await open();
    const s = await engine.createSession({ a: { remote: { address: '127.0.0.1', port: a.port } } });
    const got = record(a);
    const { playId } = await engine.play(s.sessionId, 'a', { tones: [{ hz: [425], ms: 200 }], loop: true });
    await sleep(300);
    expect(await engine.stopPlay(s.sessionId, 'a', playId)).toBe(1);
    const end = await waitFor(done, (e) => e.playId === playId, 1000);
    expect(end?.reason).toBe('stopped');
    await sleep(40); // a packet sent just before the stop may still be on its way through loopback
    const n = got.length;
    expect(n).toBeGreaterThan(8);
    expect(got.every((g) => g.h.payloadType === 0)).toBe(true); // no codecs declared: PCMU
    await sleep(100);
    expect(got.length).toBe(n); // nothing after stop
    await engine.destroy(s.sessionId);
  });

  it('a digit from the phone interrupts an interruptible play ("interrupted")', async () => {
    const a = await open();
    const s = await engine.createSession({ a: { remote: { address: '127.0.0.1', port: a.port }, codecs: PCMA } });
    await engine.collectDigits(s.sessionId, 'a');
    const digits: string[] = [];
    engine.on('dtmf', (e) => {
      if (e.sessionId === s.sessionId) digits.push(e.digit);
    });
    const { playId } = await engine.play(s.sessionId, 'a', { prompts: [{ id: 'welcome' }], loop: true, interruptible: true });
    await sleep(200);
    const plan = buildDtmfEvent('5', { payloadType: 101, ssrc: a.ssrc, sequence: 1000, timestamp: 80000, durationMs: 60 });
    for (const p of plan.packets) a.raw(s.a.port, p.data);
    const end = await waitFor(done, (e) => e.playId === playId, 1000);
    expect(end?.reason).toBe('interrupted');
    expect(digits).toEqual(['5']);
    await engine.destroy(s.sessionId);
  });

  it('a play left running ends "stopped" on destroy', async () => {
    const a = await open();
    const s = await engine.createSession({ a: { remote: { address: '127.0.0.1', port: a.port } } });
    const { playId } = await engine.play(s.sessionId, 'a', { tones: [{ hz: [], ms: 1000 }], loop: true });
    await engine.destroy(s.sessionId);
    expect((await waitFor(done, (e) => e.playId === playId, 1000))?.reason).toBe('stopped');
  });

  it('answers a bad prompt, a bad file, an empty play and mix with a MediaCommandError', async () => {
    const s = await engine.createSession();
    await expect(engine.play(s.sessionId, 'a', { prompts: [{ id: 'no-such-prompt', language: 'en' }] })).rejects.toThrow(/unknown prompt "no-such-prompt"/);
    await expect(engine.play(s.sessionId, 'a', { prompts: [{ id: '../etc/passwd' }] })).rejects.toThrow(MediaCommandError);
    await expect(engine.play(s.sessionId, 'b', { files: ['/nonexistent/x.wav'] })).rejects.toThrow(/x\.wav/);
    await expect(engine.play(s.sessionId, 'a', {})).rejects.toThrow(/nothing to play/);
    await expect(engine.play('nope', 'a', { tones: [{ hz: [440], ms: 20 }] })).rejects.toThrow(MediaCommandError);
    await expect(engine.mix(s.sessionId)).rejects.toThrow(/not implemented/);
    // the worker is still fine
    expect((await engine.sessionStats(s.sessionId)).sessionId).toBe(s.sessionId);
    await engine.destroy(s.sessionId);
  });
});

