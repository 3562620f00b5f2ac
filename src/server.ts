// The composition root: builds the running PBX from a validated config — database and
// services, the SIP stack with its guards and registrar, and the admin API — and stops it
// in the reverse order. Nothing else in the program wires layers together.
import { mkdirSync, readFileSync } from 'node:fs';
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
import { parseUri, bareHost } from './sip/uri.ts';
import type { IncomingRequest } from './sip/stack-api.ts';
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

/** Methods some part of the PBX answers (the Allow header). Grows as call control lands. */
const ALLOWED_METHODS = ['REGISTER', 'OPTIONS', 'INVITE', 'ACK', 'CANCEL'] as const;

export interface RunningPbx {
  readonly services: Services;
  readonly sip: SipStack;
  readonly location: LocationService;
  readonly api: RunningApi | undefined;
  stop(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  now?: () => number;
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

  let sip: SipStack;
  try {
    sip = await SipStack.start(stackOptions(config, logger));
  } catch (e) {
    services.close();
    if (e instanceof TransportError) throw new UserError(`${e.message} (see sip.${e.transport} in the config)`, 500, 'listen_failed');
    throw e;
  }
  sip.onRequest(
    createIngress({
      sourceGuard: limiter,
      userAgentGuard: scanner,
      allow: ALLOWED_METHODS,
      handlers: {
        REGISTER: (incoming) => registrar.handle(incoming),
        OPTIONS: createOptionsHandler(ALLOWED_METHODS, config.sip.options_server_header),
        INVITE: (incoming) => answerInviteWithoutCallControl(incoming, authenticator),
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
  });

  let api: RunningApi | undefined;
  if (config.api.enabled) {
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
    });
    try {
      api = await serveApi(app, { host: config.api.host, port: config.api.port });
    } catch (e) {
      await sip.close();
      services.close();
      throw e;
    }
    logger.info({ host: api.host, port: api.port }, 'admin API listening');
  }
  logger.info({ restoredRegistrations: restored }, 'pbx started');

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      logger.info('pbx stopping');
      externalWrites.stop();
      keepalive?.stop();
      await api?.close();
      await sip.close();
      location.stop();
      limiter.stop();
      services.close();
      logger.info('pbx stopped');
    })());

  return { services, sip, location, api, stop };
}

/**
 * Calls are not routed yet (call control is its own piece of work): an INVITE is still
 * challenged like any request from an extension (R-SEC-1), then answered 480.
 */
function answerInviteWithoutCallControl(incoming: IncomingRequest, authenticator: RequestAuthenticator): void {
  const from = parseUri(incoming.request.headers.from.uri);
  if (!from) return incoming.respond(400, 'Bad From Header');
  if (!authenticator.authenticate(incoming, bareHost(from.host).toLowerCase())) return;
  incoming.respond(480, 'Temporarily Unavailable');
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
