// End to end: voicemail, message-waiting lights, the hang-up SMS and the durable outbox (issue 6),
// the real PBX process (bin/pbx start) with SIPp playing the telephone network and the phones on
// loopback, and one small HTTP server of the test standing in for the tenant's webhook (/hook)
// and the generic HTTP SMS gateway (/sms, notify.sms.provider http).
//
//   carrier     127.0.0.2  SIPp calling the switchboard number (the PBX knows a carrier by the
//                          source address of its INVITE), test/e2e/voicemail-sipp/carrier-uac-*.xml;
//                          its SDP points at the test's RtpSink (what the PBX plays the caller),
//                          its RFC 4733 digits and its message are pcaps SIPp plays from its media
//                          port (so media.symmetric_rtp is false, as in test/e2e/trunks.test.ts)
//   phone 802   127.0.0.1  registers (test/e2e/register-stay.xml), then voicemail-sipp/phone-mwi.xml
//                          on that port SUBSCRIBEs to its box
//
// The message the caller leaves is SIPp's own recording of real speech (g711a.pcap of Debian's
// sip-tester: PCMA, 7 s) or a generated tone (test/support/voicemail-bench.ts); what the PBX
// stored is compared with it: the WAV's length, where speech is in it (the PBX's recorder keeps
// 0.5 s after the last speech), and the audio itself, byte for byte once encoded back to A-law.
// The recording starts when the beep ends: the test finds the beep's packets in what the carrier
// received, so the silence before the message (SIPp starts it a fixed time after the digits)
// is known. A message ends by silence (the PBX hangs up), by '#', or by the caller's BYE.
//
// The outbox part runs its own PBX twice on one data directory: kill -9 while the hang-up SMS is
// pending (the gateway not listening yet) and while it is being sent (the gateway holds the
// request); after the restart it is taken once.
//
// PBX log on the console: VOICEMAIL_PBX_LOG=1 npx vitest run test/e2e/voicemail.test.ts
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { freeTcpPort, freeUdpTcpPort } from '../support/free-port.ts';
import { startPbxProcess, type PbxProcess } from '../support/pbx-process.ts';
import { runSipp, sippTimestamp, startSipp, type SippHandle, type SippResult } from '../support/sipp.ts';
import { CARRIER_A_IP, RtpSink, dtmfPcap, dtmfPcapMs, startSippAt } from '../support/trunk-bench.ts';
import {
  HttpReceiver,
  joinPcaps,
  SIPP_SPEECH_PCAP,
  pcapAudio,
  promptsAlaw,
  promptsSeconds,
  readPcapRtp,
  readWav,
  slicesOf,
  speechSpan,
  toAlaw,
  tonePcap,
  type ReceivedRequest,
} from '../support/voicemail-bench.ts';

const SIPP = 'test/e2e/voicemail-sipp';
const MAIN = '01088886666'; // the switchboard's main number
const RESERVED = '13900000000'; // the tenant's reserved mobile: missed-call SMS
const LANG = 'en'; // the tenant's prompt language (shorter prompts than zh)
const SILENCE_S = 2; // voicemail.silence_s
const KEEP_S = 0.5; // silence the recorder keeps after the last speech
const password = (ext: string) => `secret-${ext}-pw`;

/** What the caller hears between its '#' and the recording: "no answer", "leave a message", the beep. */
const BEFORE_RECORDING_S = promptsSeconds(LANG, 'no-answer', 'leave-message', 'beep');
const BEEP = promptsAlaw(LANG, 'beep');
const ASKED = promptsAlaw(LANG, 'no-answer', 'leave-message');
const GOODBYE = promptsAlaw(LANG, 'goodbye');

function tenantYaml(o: { carrierPort: number; http: number; rtpMin: number; smsUrl?: string }): string {
  return [
    'media:',
    '  host: 127.0.0.1',
    '  public_address: 127.0.0.1',
    `  rtp_port_min: ${o.rtpMin}`,
    `  rtp_port_max: ${o.rtpMin + 199}`,
    '  workers: 1',
    '  symmetric_rtp: false',
    'notify:',
    '  sms:',
    '    provider: http',
    `    http: { url: '${o.smsUrl ?? `http://127.0.0.1:${o.http}/sms`}', method: POST, body: json }`,
    '  max_attempts: 50',
    '  retry_base_s: 1',
    '  retry_max_s: 2',
    '  timeout_ms: 2000',
    'trunks:',
    `  - { name: carrier, kind: carrier, host: ${CARRIER_A_IP}, port: ${o.carrierPort} }`,
    'tenants:',
    '  - name: acme',
    '    default: true',
    `    language: ${LANG}`,
    '    recording: false',
    "    area_code: '10'",
    '    company: Acme',
    `    reserved_mobile: '${RESERVED}'`,
    `    voicemail: { silence_s: ${SILENCE_S}, max_length_s: 30 }`,
    "    messages: { hangup_sms: { enabled: true, text: 'Thanks for calling {company}.', period_h: 24 } }",
    `    webhook: { url: 'http://127.0.0.1:${o.http}/hook', format: json }`,
    '    extensions:',
    `      - { number: '801', password: '${password('801')}' }`,
    `      - { number: '802', password: '${password('802')}', ring_timeout_s: 5 }`,
    '    numbers:',
    `      - { number: '${MAIN}', mode: switchboard, main: true }`,
    '',
  ].join('\n');
}

const rtpWindow = () => 20000 + 200 * Math.floor(Math.random() * 49);

function expectOk(r: SippResult) {
  expect(r.code, r.log).toBe(0);
}

function at(r: SippResult, key: string): number {
  return sippTimestamp(r.values[`at.${key}`]?.[0]);
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface VmItem {
  id: number;
  box: string;
  callerNumber: string;
  durationS: number;
  status: string;
  path: string | null;
}

function vmList(pbx: PbxProcess, extension: string): VmItem[] {
  const r = pbx.cli('vm', 'list', '--extension', extension, '--json');
  expect(r.status, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { items: VmItem[] }).items;
}

interface OutboxRow {
  id: number;
  purpose: string;
  recipient: string;
  body: string;
  status: string;
  attempts: number;
  lastError: string | null;
}

function outboxList(pbx: PbxProcess, purpose: string): OutboxRow[] {
  const r = pbx.cli('outbox', 'list', '--purpose', purpose, '--json');
  expect(r.status, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { items: OutboxRow[] }).items;
}

const smsTo = (requests: ReceivedRequest[], to: string) => requests.filter((r) => r.url === '/sms' && (r.json?.to as string | undefined) === to);

/** One carrier (SIPp at 127.0.0.2) and the RTP sockets of its calls. */
class Carrier {
  private readonly running: SippHandle[] = [];
  private readonly sinks: RtpSink[] = [];

  constructor(private readonly pbx: () => PbxProcess) {}

  /** A call from `caller` to the main number that hangs up after `talkMs`. */
  async call(caller: string, talkMs = 1000): Promise<SippResult> {
    const sink = await this.sink();
    const h = await this.start({ scenario: `${SIPP}/carrier-uac-call.xml`, keys: { caller, rtp_port: String(sink.port) }, pauseMs: talkMs, timeoutS: 20 });
    return h.done;
  }

  /**
   * A call from `caller` that dials `digits`, waits `promptMs` after them, plays `audio` (a
   * PCMA pcap) as its message and hangs up `afterMs` after the audio started (unless the PBX
   * hung up first).
   */
  async voicemail(o: { caller: string; digits: string; promptMs: number; audio: Buffer; afterMs: number }): Promise<{ result: SippResult; sink: RtpSink }> {
    const sink = await this.sink();
    const h = await this.start({
      scenario: `${SIPP}/carrier-uac-voicemail.xml`,
      keys: { caller: o.caller, rtp_port: String(sink.port), prompt_ms: String(Math.round(o.promptMs)), after_ms: String(Math.round(o.afterMs)) },
      files: { 'dtmf.pcap': dtmfPcap(o.digits), 'audio.pcap': o.audio },
      timeoutS: 60,
    });
    return { result: await h.done, sink };
  }

  private async sink(): Promise<RtpSink> {
    const s = await RtpSink.open(CARRIER_A_IP);
    this.sinks.push(s);
    return s;
  }

  private async start(o: { scenario: string; keys: Record<string, string>; files?: Record<string, Buffer>; pauseMs?: number; timeoutS: number }): Promise<SippHandle> {
    const h = await startSippAt({ ...o, ip: CARRIER_A_IP, target: `127.0.0.1:${this.pbx().sipPort}`, service: MAIN });
    this.running.push(h);
    return h;
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.running.splice(0).map((h) => h.kill()));
    for (const s of this.sinks.splice(0)) s.close();
  }
}

// ------------------------------------------------------------------------------------------

describe('voicemail, message-waiting and the hang-up SMS through the PBX process', () => {
  let pbx: PbxProcess;
  const http = new HttpReceiver();
  const carrier = new Carrier(() => pbx);
  const phones: SippHandle[] = [];

  beforeAll(async () => {
    await http.listen();
    const carrierPort = await freeUdpTcpPort(CARRIER_A_IP);
    pbx = await startPbxProcess({ sipYaml: '  registrar: { keepalive_interval_s: 0 }', extraYaml: tenantYaml({ carrierPort, http: http.port, rtpMin: rtpWindow() }) });
  });
  afterEach(async () => {
    await carrier.cleanup();
    await Promise.all(phones.splice(0).map((p) => p.kill()));
  });
  afterAll(async () => {
    if (process.env.VOICEMAIL_PBX_LOG) console.log(pbx?.output());
    if (pbx) expect(await pbx.stop()).toBe(0);
    await http.close();
    if (pbx && !process.env.VOICEMAIL_PBX_LOG) fs.rmSync(pbx.dataDir, { recursive: true, force: true });
  });

  it('a caller dials an extension nobody has registered (RFC 4733 "801#"), hears "no answer", "leave a message" and the beep, leaves 7 s of real speech and goes silent: the PBX hangs up; the WAV holds that speech, as long as what was sent; the webhook and the reserved mobile are told', async () => {
    const CALLER = '13912345678';
    const speech = fs.readFileSync(SIPP_SPEECH_PCAP);
    const sent = pcapAudio(readPcapRtp(speech));
    const sentSpan = speechSpan(sent)!;
    expect(sentSpan.end, 'speech in g711a.pcap runs to its end').toBeGreaterThan(6.5);

    const promptMs = dtmfPcapMs('801#') + BEFORE_RECORDING_S * 1000 + 1000;
    const { result: A, sink } = await carrier.voicemail({ caller: CALLER, digits: '801#', promptMs, audio: speech, afterMs: 30_000 });
    expectOk(A);
    // the PBX ended the call (after SILENCE_S of silence and "goodbye"), not the caller
    expect(A.values.got, A.log).toContain('bye');
    expect(A.values.sent ?? []).not.toContain('bye');

    // what the caller heard: the two prompts, then the beep; the recording starts when the beep ends
    const beep = slicesOf(sink.packets, BEEP);
    expect(beep.length, 'packets of the beep').toBeGreaterThanOrEqual(15);
    const recordingFrom = beep.at(-1)!.atMs + 20;
    expect(slicesOf(sink.between(at(A, 'dtmf') * 1000, beep[0]!.atMs), ASKED).length, 'packets of "no answer" + "leave a message" before the beep').toBeGreaterThan(200);
    const audioAt = at(A, 'audio') * 1000;
    expect(audioAt, 'the message was sent after the beep').toBeGreaterThan(recordingFrom);
    const lead = (audioAt - recordingFrom) / 1000;
    // ... and "goodbye" after the message, then the PBX's BYE SILENCE_S after the speech
    expect(slicesOf(sink.between(audioAt), GOODBYE).length, 'packets of "goodbye"').toBeGreaterThan(20);
    const speechEndAt = at(A, 'audio') + sentSpan.end;
    expect(at(A, 'bye') - speechEndAt, 'seconds from the end of speech to the BYE').toBeGreaterThan(SILENCE_S - 0.3);
    expect(at(A, 'bye') - speechEndAt).toBeLessThan(SILENCE_S + 3.5);

    // pbx vm list: the message in 801's box, from the caller, with its duration and file
    const [message, ...more] = vmList(pbx, '801');
    expect(more).toEqual([]);
    expect(message).toMatchObject({ box: '801', callerNumber: CALLER, status: 'new' });
    const expected = lead + sentSpan.end + KEEP_S;
    expect(message!.durationS, `durationS vs ${lead.toFixed(2)} s before the speech + ${sentSpan.end.toFixed(2)} s sent + ${KEEP_S} s kept`).toBeGreaterThan(expected - 0.7);
    expect(message!.durationS).toBeLessThan(expected + 0.7);

    // the WAV: mono 8 kHz PCM16, that long, with the speech where it was sent, byte for byte
    expect(fs.existsSync(message!.path!), message!.path!).toBe(true);
    const wav = readWav(message!.path!);
    expect({ format: wav.format, channels: wav.channels, rate: wav.sampleRate, bits: wav.bitsPerSample }).toEqual({ format: 1, channels: 1, rate: 8000, bits: 16 });
    expect(Math.abs(wav.seconds - message!.durationS), `WAV ${wav.seconds} s vs durationS ${message!.durationS}`).toBeLessThan(0.05);
    const heard = speechSpan(wav.samples)!;
    expect(heard, 'speech in the WAV').toBeDefined();
    expect(Math.abs(heard.end - heard.start - (sentSpan.end - sentSpan.start)), `${heard.end - heard.start} s of speech in the WAV vs ${sentSpan.end - sentSpan.start} s sent`).toBeLessThan(0.3);
    expect(Math.abs(heard.start - (lead + sentSpan.start)), `speech starts in the WAV at ${heard.start} s`).toBeLessThan(0.3);
    const stored = toAlaw(wav.samples);
    const payloads = readPcapRtp(speech).map((p) => p.payload);
    const found = payloads.filter((p) => stored.includes(p)).length;
    expect(found / payloads.length, `packets of the pcap found byte for byte in the WAV: ${found}/${payloads.length}`).toBeGreaterThan(0.95);

    // the tenant's webhook got the notice; the reserved mobile the missed-call SMS (through the HTTP gateway)
    await http.waitFor('the voicemail webhook', (rs) => rs.some((r) => r.url === '/hook' && r.json?.event === 'voicemail'));
    const hook = http.to('/hook').find((r) => r.json?.event === 'voicemail')!;
    expect(hook.method).toBe('POST');
    expect(hook.headers['content-type']).toMatch(/^application\/json/);
    expect(hook.headers['idempotency-key']).toMatch(/^outbox-\d+$/);
    expect(hook.json).toMatchObject({ event: 'voicemail', box: '801', caller: CALLER, messageId: message!.id });
    expect(hook.json!.text).toMatch(new RegExp(`^Acme: new voicemail from ${CALLER} at .* for 801\\.$`));
    expect(hook.json!.durationS as number).toBeCloseTo(message!.durationS, 1);
    await http.waitFor('the missed-call SMS', (rs) => smsTo(rs, RESERVED).length > 0);
    const missed = smsTo(http.requests, RESERVED);
    expect(missed).toHaveLength(1);
    expect(missed[0]!.json!.text).toContain(CALLER);
  }, 90_000);

  it("'#' ends a message: the PBX cuts it where the key began, says goodbye and hangs up", async () => {
    // 2 s of a tone, 300 ms of nothing, then '#' (RFC 4733), all from SIPp's media port
    const GAP_S = 0.3;
    const audio = joinPcaps(GAP_S * 1000, tonePcap(2, 440), dtmfPcap('#'));
    const promptMs = dtmfPcapMs('801#') + BEFORE_RECORDING_S * 1000 + 1000;
    const { result: A, sink } = await carrier.voicemail({ caller: '13912340000', digits: '801#', promptMs, audio, afterMs: 30_000 });
    expectOk(A);
    expect(A.values.got, A.log).toContain('bye');
    expect(A.values.sent ?? []).not.toContain('bye');
    const keyAt = at(A, 'audio') + 2 + GAP_S;
    expect(at(A, 'bye') - keyAt, "seconds from the '#' to the PBX's BYE (goodbye is 0.6 s)").toBeLessThan(2.5);
    expect(slicesOf(sink.between(keyAt * 1000), GOODBYE).length, 'packets of "goodbye"').toBeGreaterThan(20);

    const message = vmList(pbx, '801').find((m) => m.callerNumber === '13912340000');
    expect(message, 'the message in 801').toBeDefined();
    const beep = slicesOf(sink.packets, BEEP);
    expect(beep.length, 'packets of the beep').toBeGreaterThanOrEqual(15);
    expect(at(A, 'audio') * 1000, 'the message was sent after the beep').toBeGreaterThan(beep.at(-1)!.atMs + 20);
    const lead = (at(A, 'audio') * 1000 - (beep.at(-1)!.atMs + 20)) / 1000;
    // up to the key's start (the tone, then the gap: less than the 0.5 s kept after speech)
    expect(Math.abs(message!.durationS - (lead + 2 + GAP_S)), `durationS ${message!.durationS}, lead ${lead.toFixed(2)} s`).toBeLessThan(0.3);
    const heard = speechSpan(readWav(message!.path!).samples)!;
    expect(heard.end - heard.start, 'seconds of tone in the WAV (no key tone after it)').toBeGreaterThan(1.8);
    expect(heard.end - heard.start).toBeLessThan(2.2);
  }, 60_000);

  it('MWI: a registered phone of 802 SUBSCRIBEs (digest, 407), gets NOTIFY "Messages-Waiting: no"; its extension rings unanswered, the caller leaves a message and hangs up; the phone gets NOTIFY "yes", Voice-Message 1/0', async () => {
    const target = `127.0.0.1:${pbx.sipPort}`;
    const csv = `SEQUENTIAL\n802;${password('802')};[authentication username=802 password=${password('802')}]\n`;
    const port = await freeUdpTcpPort();
    const reg = await runSipp({ scenario: 'test/e2e/register-stay.xml', target, injection: csv, port });
    expectOk(reg);
    const phone = await startSipp({ scenario: `${SIPP}/phone-mwi.xml`, target, injection: csv, port, authUri: `802@${target}`, timeoutS: 70 });
    phones.push(phone);
    await until('the mwi subscription of 802', () => (/mwi subscription/.test(pbx.output()) ? true : undefined), 10_000).catch(async (e: Error) => {
      throw new Error(`${e.message}\n${(await phone.kill()).log}\n--- pbx\n${pbx.output().slice(-4000)}`);
    });
    await new Promise((r) => setTimeout(r, 300)); // its first NOTIFY answered

    // 2 s of a tone as the message; the caller hangs up 3 s after it started
    const tone = tonePcap(2, 440);
    const RING_S = 5;
    const promptMs = dtmfPcapMs('802#') + (RING_S + BEFORE_RECORDING_S) * 1000 + 1200;
    const { result: A, sink } = await carrier.voicemail({ caller: '13955556666', digits: '802#', promptMs, audio: tone, afterMs: 3000 });
    expectOk(A);
    expect(A.values.sent, A.log).toContain('bye');
    const beep = slicesOf(sink.packets, BEEP);
    expect(beep.length, 'packets of the beep').toBeGreaterThanOrEqual(15);
    expect(at(A, 'audio') * 1000, 'the message was sent after the beep').toBeGreaterThan(beep.at(-1)!.atMs + 20);

    const P = await phone.done;
    expectOk(P);
    expect(P.values['got'], P.log).toEqual(['407', 'subscribe-200', 'unsubscribe-200']);
    // the phone was rung (and did not answer) before the caller got to the box
    expect(P.messages, 'an INVITE to the phone').toMatch(/^INVITE sip:802@127\.0\.0\.1:\d+/m);
    expect(Number(P.values['subscribe.expires']?.[0])).toBeGreaterThanOrEqual(60);
    expect(P.values['notify1.event']).toEqual(['message-summary']);
    expect(P.values['notify1.type']?.[0]).toMatch(/^application\/simple-message-summary/);
    expect(P.values['notify1.state']?.[0]).toMatch(/^active/);
    expect(P.values['notify1.waiting']).toEqual(['no']);
    expect(P.values['notify1.voice']).toEqual(['0/0']);
    expect(P.values['notify1.account']?.[0]).toMatch(/^sip:802@/);
    expect(P.values['notify2.waiting']).toEqual(['yes']);
    expect(P.values['notify2.voice']).toEqual(['1/0']);
    expect(P.values['notify2.state']?.[0]).toMatch(/^active/);
    expect(P.values['notify3.state']?.[0]).toMatch(/^terminated/);
    // the second NOTIFY came once the message was there: after the caller's audio
    expect(at(P, 'notify2')).toBeGreaterThan(at(A, 'audio'));

    const [message, ...more] = vmList(pbx, '802');
    expect(more).toEqual([]);
    expect(message).toMatchObject({ box: '802', callerNumber: '13955556666', status: 'new' });
    // ended by the caller's BYE: the tone (2 s) after the lead, plus the 0.5 s kept
    const lead = (at(A, 'audio') * 1000 - (beep.at(-1)!.atMs + 20)) / 1000;
    expect(Math.abs(message!.durationS - (lead + 2 + KEEP_S)), `durationS ${message!.durationS}, lead ${lead.toFixed(2)} s`).toBeLessThan(0.7);
    const heard = speechSpan(readWav(message!.path!).samples)!;
    expect(heard.end - heard.start, 'seconds of tone in the WAV').toBeGreaterThan(1.8);
    expect(heard.end - heard.start).toBeLessThan(2.2);
  }, 90_000);

  it('the hang-up SMS: a mobile caller (two calls, a third in +86 form) gets it exactly once, a landline caller never', async () => {
    const MOBILE = '13811112222';
    const LANDLINE = '01062345678';
    for (const caller of [MOBILE, MOBILE, `+86${MOBILE}`, LANDLINE]) {
      const r = await carrier.call(caller);
      expectOk(r);
      expect(r.values.got, `${caller}: ${r.log}`).toEqual(['200', 'bye-200']);
      if (caller === MOBILE) await http.waitFor(`the hang-up SMS to ${MOBILE}`, (rs) => smsTo(rs, MOBILE).length > 0);
    }
    // everything the calls caused has been handled: nothing is waiting in the outbox
    await until('an idle outbox', () => (outboxList(pbx, 'hangup-sms').every((m) => m.status === 'sent') ? true : undefined));
    await new Promise((r) => setTimeout(r, 1500)); // time for a wrongful second one to arrive

    const toMobile = smsTo(http.requests, MOBILE);
    expect(toMobile, JSON.stringify(http.to('/sms').map((r) => r.json))).toHaveLength(1);
    expect(toMobile[0]!.json!.text).toBe('Thanks for calling Acme.');
    expect(http.to('/sms').filter((r) => String(r.json?.to).includes('62345678'))).toEqual([]);
    const rows = outboxList(pbx, 'hangup-sms');
    expect(rows.filter((m) => m.recipient === MOBILE)).toHaveLength(1);
    expect(rows.filter((m) => m.recipient.includes('62345678'))).toEqual([]);
  }, 60_000);
});

describe('the outbox across kill -9', () => {
  let pbx: PbxProcess | undefined;
  let gateway: HttpReceiver;
  const carrier = new Carrier(() => pbx!);
  const MOBILE = '13722223333';
  const TEXT = 'Thanks for calling Acme.';

  afterEach(async () => {
    await carrier.cleanup();
    if (pbx) {
      await pbx.stop();
      fs.rmSync(pbx.dataDir, { recursive: true, force: true });
    }
    pbx = undefined;
    await gateway?.close();
  });

  /** A PBX whose SMS gateway is http://127.0.0.1:<smsPort>/sms; a mobile calls and hangs up. */
  async function hangupSmsTo(smsPort: number, timeoutMs?: number): Promise<void> {
    const carrierPort = await freeUdpTcpPort(CARRIER_A_IP);
    const hookPort = await freeTcpPort();
    let yaml = tenantYaml({ carrierPort, http: hookPort, rtpMin: rtpWindow(), smsUrl: `http://127.0.0.1:${smsPort}/sms` });
    if (timeoutMs !== undefined) yaml = yaml.replace('  timeout_ms: 2000', `  timeout_ms: ${timeoutMs}`);
    pbx = await startPbxProcess({ extraYaml: yaml });
    const r = await carrier.call(MOBILE);
    expectOk(r);
  }

  /**
   * After a restart: the one row is sent, after more attempts than `before` had; nothing more
   * comes, not even for another call of the same caller (the period holds across the crash).
   */
  async function deliveredOnce(before: OutboxRow): Promise<void> {
    await gateway.waitFor('the hang-up SMS answered after the restart', (rs) => rs.some((q) => q.answered), 15_000);
    const rows = await until('the outbox row sent', () => {
      const rows = outboxList(pbx!, 'hangup-sms');
      return rows[0]?.status === 'sent' ? rows : undefined;
    });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.id).toBe(before.id);
    expect(rows[0]!.attempts).toBeGreaterThan(before.attempts);
    expectOk(await carrier.call(MOBILE));
    await new Promise((r) => setTimeout(r, 2500)); // a duplicate would come within the back-off
    expect(outboxList(pbx!, 'hangup-sms')).toHaveLength(1);
    const answered = gateway.requests.filter((q) => q.answered);
    expect(answered.map((q) => q.json), 'the SMS the gateway took').toEqual([{ to: MOBILE, text: TEXT }]);
    expect(await pbx!.stop()).toBe(0);
  }

  it('a hang-up SMS queued while the SMS gateway is down, the PBX killed -9 before it could deliver: after the restart it is delivered, exactly once', async () => {
    gateway = new HttpReceiver();
    const smsPort = await freeTcpPort(); // nothing listens there yet: every attempt fails
    await hangupSmsTo(smsPort);
    // enqueued, tried and failed: still pending
    const queued = await until('a failed attempt of the hang-up SMS', () => {
      const rows = outboxList(pbx!, 'hangup-sms');
      return rows.length === 1 && rows[0]!.attempts >= 1 && rows[0]!.status === 'pending' && rows[0]!.lastError ? rows[0] : undefined;
    });
    expect(queued).toMatchObject({ recipient: MOBILE, body: TEXT, status: 'pending' });

    await pbx!.kill9();
    await gateway.listen(smsPort);
    pbx = await startPbxProcess({ restart: pbx });
    await deliveredOnce(queued);
    expect(gateway.requests).toHaveLength(1);
  }, 90_000);

  it('killed -9 while the gateway holds the request (the row is "sending"): after the restart it is sent again and taken once', async () => {
    gateway = new HttpReceiver();
    gateway.hold = 1; // the first request gets no answer
    await gateway.listen();
    await hangupSmsTo(gateway.port, 30_000);
    const sending = await until('the hang-up SMS in flight', () => {
      const rows = outboxList(pbx!, 'hangup-sms');
      return rows.length === 1 && rows[0]!.status === 'sending' && gateway.requests.length === 1 ? rows[0] : undefined;
    });
    expect(sending).toMatchObject({ recipient: MOBILE, body: TEXT, attempts: 1 });

    await pbx!.kill9();
    pbx = await startPbxProcess({ restart: pbx });
    await deliveredOnce(sending);
    // the unanswered first request, then the one after the restart
    expect(gateway.requests.map((q) => [q.json, q.answered])).toEqual([
      [{ to: MOBILE, text: TEXT }, false],
      [{ to: MOBILE, text: TEXT }, true],
    ]);
  }, 90_000);
});
