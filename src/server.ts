// The composition root: builds the running PBX from a validated config — database and
// services, the SIP stack with its guards and registrar, and the admin API — and stops it
// in the reverse order. Nothing else in the program wires layers together.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from './config/schema.ts';
import { bootServices, type Services } from './services.ts';
import { watchExternalWrites } from './db/change-watch.ts';
import { createLogger, type Logger } from './log.ts';
import { UserError } from './errors.ts';
import { SipStack, type SipStackOptions } from './sip/stack.ts';
import { TransportError } from './sip/transport/transport.ts';
import { createIngress, createOptionsHandler } from './sip/ingress.ts';
import { RequestAuthenticator } from './sip/request-authenticator.ts';
import { UserAgentMatcher } from './sip/guard/user-agent-matcher.ts';
import {
  AuthFailureLimiter,
  DigestAuthenticator,
  LocationService,
  NatKeepalive,
  Registrar,
  ScannerFilter,
} from './sip/registrar/index.ts';
import { createApiApp } from './api/app.ts';
import { serveApi, type RunningApi } from './api/serve.ts';
import { controlSocketPath, serveControlSocket, type ControlSocket } from './api/control-socket.ts';
import { MediaEngine } from './media/engine.ts';
import { CallEventBus } from './calls/call-events.ts';
import { CallControl } from './calls/call-control.ts';
import { ExtensionLookup } from './directory/extension-lookup.ts';
import { ExtensionRulesLookup } from './directory/call-rule-lookup.ts';
import { NumberLookup } from './numbers/number-lookup.ts';
import { TenantSettingsLookup } from './tenancy/tenant-settings-lookup.ts';
import { TrunkDirectory } from './trunks/trunk-directory.ts';
import { TrunkRegistrations } from './trunks/trunk-registrations.ts';
import type { TrunkStatus } from './trunks/trunk-service.ts';
import { CallerAccounts } from './trunks/trunk-accounts.ts';
import { CallRouting } from './routing/call-routing.ts';
import { startOutbox } from './notify/index.ts';
import { CallNotices } from './notify/call-notices.ts';
import { startMwi } from './voicemail/index.ts';
import { prepareRecordingPath, startCallRecords, type RunningCallRecords } from './cdr/index.ts';

/** Methods some part of the PBX answers (the Allow header). */
const ALLOWED_METHODS = ['REGISTER', 'OPTIONS', 'INVITE', 'ACK', 'CANCEL', 'BYE', 'INFO', 'UPDATE', 'PRACK', 'REFER', 'NOTIFY', 'SUBSCRIBE'] as const;
/** Option tags we support (a Require naming another gets 420). */
const SUPPORTED_OPTIONS = ['100rel', 'timer', 'replaces'] as const;

export interface RunningPbx {
  readonly services: Services;
  readonly sip: SipStack;
  readonly location: LocationService;
  readonly media: MediaEngine;
  readonly calls: CallControl;
  readonly api: RunningApi | undefined;
  stop(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  now?: () => number;
  /** The clock of service hours only (the e2e suite plays a closed Saturday); default `now`. */
  serviceClock?: () => number;
}

export async function startPbx(config: Config, options: StartOptions = {}): Promise<RunningPbx> {
  const logger = options.logger ?? createLogger(config.log.level);
  const now = options.now ?? Date.now;
  mkdirSync(config.data_dir, { recursive: true });
  const { services, applied } = bootServices(config, { now });
  logger.info({ dataDir: config.data_dir, applied }, 'database ready');

  const limiter = new AuthFailureLimiter({
    store: services.blockStore,
    maxFailures: config.sip.security.max_auth_failures,
    windowMs: config.sip.security.failure_window_s * 1000,
    blockMs: config.sip.security.block_duration_s * 1000,
    now,
    log: logger,
  });
  const scanner = new ScannerFilter({
    patterns: config.sip.security.scanner_user_agents,
    extraPatterns: config.sip.security.extra_scanner_user_agents,
  });
  const answerOptions = createOptionsHandler(ALLOWED_METHODS, config.sip.options_server_header);
  const location = new LocationService({ store: services.bindings, now, log: logger });
  const restored = location.load();
  const digest = new DigestAuthenticator({
    algorithms: config.sip.auth.algorithms,
    nonceLifetimeMs: config.sip.auth.nonce_lifetime_s * 1000,
    now,
  });
  const authenticator = new RequestAuthenticator({
    accounts: services.accounts,
    digest,
    limiter,
    firstChallengeOnly: new UserAgentMatcher(config.sip.auth.single_challenge_user_agents),
    log: logger,
  });
  const registrar = new Registrar({
    accounts: services.accounts,
    location,
    digest,
    limiter,
    authenticator,
    minExpires: config.sip.registrar.min_expires,
    maxExpires: config.sip.registrar.max_expires,
    defaultExpires: config.sip.registrar.default_expires,
    now,
    log: logger,
  });

  const bus = new CallEventBus(logger);
  // Crash recovery closes the records of calls a kill left open, before any new call.
  let records: RunningCallRecords;
  try {
    records = await startCallRecords({ services, bus, config, log: logger, now });
  } catch (e) {
    services.close();
    throw e;
  }

  let media: MediaEngine;
  try {
    media = await MediaEngine.start({
      ...(config.media.workers > 0 ? { workers: config.media.workers } : {}),
      portRange: { min: config.media.rtp_port_min, max: config.media.rtp_port_max },
      host: config.media.host,
      ...(config.media.public_address ?? config.sip.public_address ? { advertisedAddress: config.media.public_address ?? config.sip.public_address } : {}),
      rtpTimeoutS: config.media.rtp_timeout_s,
      // a few socket pairs bound ahead per worker keep binds out of call set-up
      spareEndpoints: 16,
    });
  } catch (e) {
    await records.stop();
    services.close();
    throw e;
  }
  media.on('workerExit', (e) => logger.error(e, 'media worker exited'));

  let sip: SipStack;
  try {
    sip = await SipStack.start(stackOptions(config, logger));
  } catch (e) {
    await media.close();
    await records.stop();
    services.close();
    if (e instanceof TransportError) throw new UserError(`${e.message} (see sip.${e.transport} in the config)`, 500, 'listen_failed');
    throw e;
  }
  // Trunks: outbound registrations follow the trunk table; INVITEs may come from a tenant PBX
  // authenticating with its trunk's credentials, so they are checked against both.
  const trunkRegistrations = new TrunkRegistrations({ stack: sip, log: logger, now });
  const trunks = new TrunkDirectory(services.db, logger, now, (rows) => trunkRegistrations.sync(rows));
  const trunkReload = setInterval(() => trunks.reload(), 5000);
  trunkReload.unref();
  const callerAuthenticator = new RequestAuthenticator({
    accounts: new CallerAccounts(services.accounts, trunks),
    digest,
    limiter,
    firstChallengeOnly: new UserAgentMatcher(config.sip.auth.single_challenge_user_agents),
    log: logger,
  });
  const extensions = new ExtensionLookup(services.db);
  const numbers = new NumberLookup(services.db);
  const rules = new ExtensionRulesLookup(services.db);
  const tenantSettings = new TenantSettingsLookup(services.db, now);
  // SMS and webhooks go through the durable outbox; calls cause them (call-notices.ts)
  const { worker: outboxWorker } = startOutbox({ db: services.db, config, log: logger, now, outbox: services.outbox });
  const notices = new CallNotices({ outbox: services.outbox, settings: tenantSettings, rules, tenantName: (id) => services.tenants.get(id)?.name, log: logger, now });
  notices.subscribe(bus);
  // message-waiting lights follow the voicemail boxes (subscribed and unsolicited NOTIFY)
  const mwi = startMwi({ stack: sip, location, store: services.voicemail, authenticator, log: logger, now });
  let calls: CallControl | undefined;
  const routing = new CallRouting({
    extensions,
    rules,
    numbers,
    settings: tenantSettings,
    trunks,
    location,
    activeCallsOf: (id) => calls?.activeCallsOf(id) ?? 0,
    trunkUsable: (id) => trunkRegistrations.isUsable(id),
    callWaiting: config.calls.call_waiting,
    log: logger,
    now: options.serviceClock ?? now,
  });
  for (const t of services.tenants.list()) routing.checkHolidayCalendar(t.id);
  calls = new CallControl({
    stack: sip,
    engine: media,
    bus,
    authenticator: callerAuthenticator,
    accounts: services.accounts,
    location,
    extensions,
    numbers,
    trunks,
    routing,
    apps: { routing, voicemail: services.voicemail, notices },
    recordingPath: (r) => (services.tenants.recordingPolicy(r.tenantId)?.enabled ? prepareRecordingPath(config, r) : undefined),
    codecs: config.calls.codecs,
    symmetricRtp: config.media.symmetric_rtp,
    callWaiting: config.calls.call_waiting,
    minSessionExpiresS: config.calls.min_se_s,
    maxDurationS: config.calls.max_duration_s,
    timers: { T1: config.sip.timers.t1, T2: config.sip.timers.t2 },
    log: logger,
    now,
  });
  sip.onRequest(
    createIngress({
      sourceGuard: limiter,
      userAgentGuard: scanner,
      allow: ALLOWED_METHODS,
      supported: SUPPORTED_OPTIONS,
      handlers: {
        REGISTER: (incoming) => registrar.handle(incoming),
        OPTIONS: (incoming) => (incoming.request.headers.to.params.tag === undefined ? answerOptions(incoming) : calls.onInDialog(incoming)),
        INVITE: calls.onInvite,
        ACK: calls.onInDialog,
        BYE: calls.onInDialog,
        INFO: calls.onInDialog,
        UPDATE: calls.onInDialog,
        PRACK: calls.onInDialog,
        REFER: calls.onInDialog,
        NOTIFY: calls.onInDialog,
        SUBSCRIBE: mwi.onSubscribe,
      },
    }),
  );
  for (const [transport, ports] of Object.entries(sip.boundPorts())) {
    for (const port of ports) logger.info({ transport, port }, 'sip listening');
  }

  location.start();
  limiter.start();
  const keepalive =
    config.sip.registrar.keepalive_interval_s > 0
      ? new NatKeepalive({
          stack: sip,
          location,
          intervalMs: config.sip.registrar.keepalive_interval_s * 1000,
          maxFailures: config.sip.registrar.keepalive_failures,
          now,
          log: logger,
        })
      : undefined;
  keepalive?.start();
  // The CLI writes to the same database from another process (`pbx block clear`, `pbx ext remove`).
  const externalWrites = watchExternalWrites(services.db, () => {
    limiter.reload();
    location.reconcile();
    trunks.reload(true);
    mwi.reconcile();
  });

  const app = createApiApp({
    services,
    blocks: {
      list: () => limiter.list(),
      clear: (address, actor) => {
        const removed = services.blocks.clear(address, actor);
        limiter.reload();
        return removed;
      },
    },
    calls,
    greetingsDir: join(config.data_dir, 'greetings'),
    trunkStatus: () => {
      const registrations = new Map(trunkRegistrations.status().map((r) => [r.trunkId, r]));
      return trunks.all().map((t): TrunkStatus => {
        const r = registrations.get(t.id);
        return {
          trunkId: t.id,
          name: t.name,
          kind: t.kind,
          ...(r === undefined
            ? {}
            : { registration: { state: r.state, ...(r.lastStatus === undefined ? {} : { lastStatus: r.lastStatus }), ...(r.lastError === undefined ? {} : { lastError: r.lastError }), ...(r.expiresAt === undefined ? {} : { expiresAt: r.expiresAt }), ...(r.nextAttemptAt === undefined ? {} : { nextAttemptAt: r.nextAttemptAt }) } }),
          activeCalls: trunks.activeCalls(t.id),
        };
      });
    },
  });
  // what start-up built, closed in reverse order (a failed start, and the end of stop())
  const closeCore = async (): Promise<void> => {
    externalWrites.stop();
    clearInterval(trunkReload);
    await trunkRegistrations.stop();
    mwi.stop();
    await outboxWorker.stop();
    keepalive?.stop();
    await sip.close();
    await media.close();
    await records.stop();
    location.stop();
    limiter.stop();
    services.close();
  };
  let api: RunningApi | undefined;
  let control: ControlSocket;
  try {
    // The CLI's way into the running server (`pbx calls`): <data_dir>/pbx.sock, owner only.
    control = await serveControlSocket(app, controlSocketPath(config.data_dir));
    if (config.api.enabled) {
      api = await serveApi(app, { host: config.api.host, port: config.api.port });
      logger.info({ host: api.host, port: api.port }, 'admin API listening');
    }
  } catch (e) {
    await control!?.close();
    await closeCore();
    throw e;
  }
  logger.info({ restoredRegistrations: restored, mediaAddress: media.address }, 'pbx started');

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      logger.info('pbx stopping');
      await api?.close();
      await control.close();
      // calls in progress get BYE/CANCEL while the stack still runs; their records are written
      await calls.stop();
      await closeCore();
      logger.info('pbx stopped');
    })());

  return { services, sip, location, media, calls, api, stop };
}

function stackOptions(config: Config, logger: Logger): SipStackOptions {
  const { udp, tcp, tls } = config.sip;
  return {
    udp: udp.enabled ? [{ host: udp.host, port: udp.port }] : [],
    tcp: tcp.enabled ? [{ host: tcp.host, port: tcp.port }] : [],
    tls: tls.enabled && tls.cert && tls.key ? [{ host: tls.host, port: tls.port, cert: readPem(tls.cert, 'sip.tls.cert'), key: readPem(tls.key, 'sip.tls.key') }] : [],
    maxMessageSize: config.sip.max_message_size,
    timers: { T1: config.sip.timers.t1, T2: config.sip.timers.t2, T4: config.sip.timers.t4 },
    advertisedAddress: config.sip.public_address,
    logger,
  };
}

function readPem(file: string, key: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new UserError(`${key}: cannot read ${file}: ${(e as Error).message}`);
  }
}
