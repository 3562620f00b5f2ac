// The real PBX in the test's own process (startPbx from src/server.ts), on loopback: SIP UDP/TCP
// on free ports, no HTTP API, media on 127.0.0.1 with an RTP range of its own (so test files
// running in parallel do not share ports), data in a temporary directory, logs silenced.
// Extensions are declared in the config (one tenant, the default one); `phone()` opens a
// scripted SipPhone for one of them and registers it.
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema, type ConfigInput } from '../../src/config/index.ts';
import { startPbx, type RunningPbx } from '../../src/server.ts';
import { SipPhone, type PhoneOptions } from './sip-phone.ts';

export interface TestExtension {
  number: string;
  password?: string;
  pstn_terminals?: string[];
  outbound_allow?: string[];
  outbound_deny?: string[];
  voicemail_pin?: string;
  ring_strategy?: 'sequential' | 'simultaneous';
  ring_timeout_s?: number;
  max_concurrent_calls?: number;
  max_terminals?: number;
}

export interface TestPbxOptions {
  extensions: TestExtension[];
  /** RTP ports in the media range (default 200: 50 calls). */
  rtpPorts?: number;
  /** Tenant records its calls (default true). */
  recording?: boolean;
  /** Extra `calls:` settings. */
  calls?: NonNullable<ConfigInput['calls']>;
  /** SIP timers T1/T2 in ms (default 500/4000): short ones make 64*T1 give-ups testable. */
  timers?: { t1: number; t2: number };
  /** media.rtp_timeout_s (default 60). */
  rtpTimeoutS?: number;
  /** Top-level `trunks:` (carriers, gateways, tenant PBXs). */
  trunks?: NonNullable<ConfigInput['trunks']>;
  /** More keys of the tenant: settings (operator, service_hours, …) and `numbers:`. */
  tenant?: Omit<NonNullable<ConfigInput['tenants']>[number], 'name' | 'default' | 'extensions'>;
  /** The service-hours clock (StartOptions.serviceClock). */
  serviceClock?: () => number;
}

export interface TestPbx {
  readonly pbx: RunningPbx;
  readonly sipPort: number;
  readonly dataDir: string;
  /** A phone for an extension, registered (throws unless the REGISTER got 200). */
  phone(number: string, options?: Partial<PhoneOptions> & { register?: boolean }): Promise<SipPhone>;
  /** Closes every phone opened so far (between tests). */
  closePhones(): Promise<void>;
  stop(): Promise<void>;
}

export function passwordOf(number: string): string {
  return `secret-${number}-pw`;
}

export async function startTestPbx(options: TestPbxOptions): Promise<TestPbx> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pbx-calls-'));
  const range = await freeUdpRange(options.rtpPorts ?? 200);
  const config = configSchema.parse({
    data_dir: dataDir,
    log: { level: (process.env.PBX_TEST_LOG as 'info' | undefined) ?? 'silent' },
    sip: {
      udp: { host: '127.0.0.1', port: 0 },
      tcp: { host: '127.0.0.1', port: 0 },
      // every phone is 127.0.0.1: wrong-password tests must not get the whole test blocked
      security: { max_auth_failures: 100_000 },
      registrar: { keepalive_interval_s: 0 },
      ...(options.timers ? { timers: options.timers } : {}),
    },
    api: { enabled: false },
    media: { host: '127.0.0.1', public_address: '127.0.0.1', rtp_port_min: range.min, rtp_port_max: range.max, workers: 1, ...(options.rtpTimeoutS === undefined ? {} : { rtp_timeout_s: options.rtpTimeoutS }) },
    ...(options.calls ? { calls: options.calls } : {}),
    ...(options.trunks ? { trunks: options.trunks } : {}),
    tenants: [
      {
        name: 'main',
        default: true,
        recording: options.recording ?? true,
        ...options.tenant,
        extensions: options.extensions.map((e) => ({ ...e, password: e.password ?? passwordOf(e.number) })),
      },
    ],
  } satisfies ConfigInput);
  const pbx = await startPbx(config, options.serviceClock ? { serviceClock: options.serviceClock } : {});
  const sipPort = pbx.sip.boundPorts().udp[0]!;
  const phones: SipPhone[] = [];
  return {
    pbx,
    sipPort,
    dataDir,
    async phone(number, o = {}) {
      const phone = await SipPhone.open({ user: number, password: passwordOf(number), pbxPort: sipPort, ...o });
      phones.push(phone);
      if (o.register !== false) {
        const status = await phone.register();
        if (status !== 200) throw new Error(`REGISTER of ${number} got ${status}`);
      }
      return phone;
    },
    async closePhones() {
      for (const p of phones.splice(0)) {
        if (p.port > 0) await p.register(0).catch(() => 0);
        await p.close();
      }
    },
    async stop() {
      for (const p of phones.splice(0)) await p.close();
      await pbx.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Between tests: waits for the calls in progress to end; if some do not, hangs them up (so the
 * next test starts clean) and throws (so the leak is reported against the test that left it).
 */
export async function settleCalls(t: TestPbx, timeoutMs = 3000): Promise<void> {
  try {
    await waitForCalls(t, 0, timeoutMs);
  } catch (e) {
    for (const c of t.pbx.calls.list()) t.pbx.calls.hangup(c.id, 'test cleanup');
    await waitForCalls(t, 0, timeoutMs).catch(() => undefined);
    throw e;
  } finally {
    await t.closePhones();
  }
}

/** Waits (at most `timeoutMs`) until the PBX has `n` calls in progress. */
export async function waitForCalls(t: TestPbx, n: number, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (t.pbx.calls.size !== n) {
    if (Date.now() > deadline) throw new Error(`expected ${n} calls in progress, there are ${t.pbx.calls.size}: ${JSON.stringify(t.pbx.calls.list())}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

type CallDetail = ReturnType<RunningPbx['services']['cdrs']['get']>;

/** The call record of `id` once it is closed (and `ready` holds), read through the CDR service. */
export async function waitForRecord(t: TestPbx, id: string, ready: (r: CallDetail) => boolean = () => true, timeoutMs = 3000): Promise<CallDetail> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let r: CallDetail | undefined;
    try {
      r = t.pbx.services.cdrs.get(id);
    } catch {
      r = undefined; // not written yet
    }
    if (r !== undefined && r.endedAt !== null && ready(r)) return r;
    if (Date.now() > deadline) throw new Error(`call record ${id} not complete: ${JSON.stringify(r)}`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

function udpBindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', () => resolve(false));
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}

/**
 * `size` consecutive UDP ports (from an even one) free on loopback now, for the media engine's
 * RTP range: picked at random below the kernel's ephemeral range, so test files running in
 * parallel rarely share ports (and the port allocator skips a pair another process holds).
 */
async function freeUdpRange(size: number): Promise<{ min: number; max: number }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const min = 20_000 + 2 * Math.floor(Math.random() * 6_000);
    let free = true;
    for (let p = min; p < min + size && free; p++) free = await udpBindable(p);
    if (free) return { min, max: min + size - 1 };
  }
  throw new Error(`no ${size} consecutive free UDP ports found in 50 attempts`);
}
