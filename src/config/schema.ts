// The shape of the YAML configuration (zod 4). Every object is strict, so an unknown key is
// an error that names its path. Keys are snake_case throughout. Defaults live in the schema,
// so an empty document yields the embedded default (see defaults.ts).
import { z } from 'zod';
import { tenantSettingsSchema } from '../tenancy/tenant-settings.ts';

/** 0 means "any free port" (tests use it); real deployments use 1..65535. */
const port = z.number().int().min(0).max(65535);
const host = z.string().min(1);
const positiveInt = z.number().int().positive();

const listener = (defaults: { enabled: boolean; host: string; port: number }) =>
  z
    .object({
      enabled: z.boolean().default(defaults.enabled),
      host: host.default(defaults.host),
      port: port.default(defaults.port),
    })
    .strict()
    .prefault({});

export const extensionNumber = z
  .string()
  .regex(/^[1-9][0-9]{1,7}$/, 'must be 2 to 8 digits, not starting with 0');

export const ringStrategy = z.enum(['sequential', 'simultaneous']);

const asString = (v: unknown) => (typeof v === 'number' ? String(v) : v);
/** A telephone number as written by people: digits with an optional leading +. */
export const phoneNumber = z.preprocess(asString, z.string().regex(/^\+?[0-9]{3,20}$/, 'must be a phone number: digits, optionally starting with +'));
/** Digits (a prefix or a whole number) for black/white lists. */
export const digitPattern = z.preprocess(asString, z.string().regex(/^\+?[0-9]{1,20}$/, 'must be digits'));
/** Blacklist entry: a whole number ("13812345678") or a prefix ending in * ("0755*"). */
export const blacklistEntry = z.preprocess(asString, z.string().regex(/^\+?[0-9]{1,20}\*?$/, 'must be a number, or a prefix ending in * (0755*)'));

export const numberMode = z.enum(['switchboard', 'direct', 'sipTrunk']);

/** A number (DID) the tenant owns and how its calls are handled. */
export const numberDecl = z
  .object({
    /** E.164 (+8610…) or national (010…); stored as E.164. */
    number: phoneNumber,
    mode: numberMode,
    /** The tenant's main number: outbound calls of its extensions show it (one per tenant). */
    main: z.boolean().default(false),
    /** WAV greeting (8 kHz mono recommended); default: the built-in welcome prompt. */
    greeting: z.string().min(1).optional(),
    blacklist: z.array(blacklistEntry).default([]),
    /** What a blacklisted caller gets. */
    block_action: z.enum(['busy', 'announcement', 'drop']).default('busy'),
    /** direct mode: 1–3 terminals, each a device account (an extension of the tenant) or a PSTN number. */
    terminals: z
      .array(z.union([z.object({ extension: z.preprocess(asString, extensionNumber) }).strict(), z.object({ pstn: phoneNumber }).strict()]))
      .max(3)
      .default([]),
    ring_strategy: ringStrategy.default('sequential'),
    ring_timeout_s: z.number().int().min(5).max(300).default(20),
    /** sipTrunk mode: the tenant's PBX (a trunk of kind pbx) and the purchased concurrent calls (0 = no limit). */
    trunk: z.string().min(1).optional(),
    max_calls: z.number().int().min(0).max(10_000).default(0),
  })
  .strict()
  .superRefine((n, ctx) => {
    if (n.mode === 'direct' && n.terminals.length === 0) ctx.addIssue({ code: 'custom', path: ['terminals'], message: 'a direct-line number needs 1 to 3 terminals' });
    if (n.mode !== 'direct' && n.terminals.length > 0) ctx.addIssue({ code: 'custom', path: ['terminals'], message: 'only direct-line numbers have terminals' });
    if (n.mode === 'sipTrunk' && n.trunk === undefined) ctx.addIssue({ code: 'custom', path: ['trunk'], message: 'a sipTrunk number needs the trunk (kind pbx) its calls go to' });
  });

const trunkName = z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,62}$/, 'must start with a letter and use letters, digits, . _ - (max 63)');

/** A carrier trunk, an IAD gateway or a tenant's own PBX. */
export const trunkDecl = z
  .object({
    name: trunkName,
    kind: z.enum(['carrier', 'gateway', 'pbx']),
    /** Owning tenant (gateway, pbx); carriers are shared. */
    tenant: z.string().min(1).optional(),
    host: host,
    port: z.number().int().min(1).max(65535).default(5060),
    transport: z.enum(['udp', 'tcp', 'tls']).default('udp'),
    /** Outbound REGISTER to the trunk with username/password. */
    register: z.boolean().default(false),
    register_expires_s: z.number().int().min(60).max(86_400).default(3600),
    username: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    /** How calls from the trunk are recognised: source address, or digest credentials it presents. */
    inbound_auth: z.enum(['ip', 'digest']).default('ip'),
    inbound_username: z.string().min(1).optional(),
    inbound_password: z.string().min(8).optional(),
    /** Further source addresses accepted for inbound_auth ip (the host's own always is). */
    addresses: z.array(host).default([]),
    max_calls: z.number().int().min(0).max(100_000).default(0),
    codecs: z.array(z.enum(['PCMA', 'PCMU', 'G722', 'G729', 'opus', 'telephone-event'])).min(1).optional(),
    called_format: z.enum(['e164', 'national', 'international00']).default('national'),
    caller_id_format: z.enum(['e164', 'national', 'international00']).default('national'),
    caller_id_header: z.enum(['from', 'pai', 'both']).default('both'),
    diversion: z.boolean().default(false),
    /** Regex rewrites of the called number, in order, after formatting: { match: '^0086', replace: '00' }. */
    rewrite: z
      .array(
        z
          .object({
            match: z.string().min(1).refine((r) => {
              try {
                new RegExp(r);
                return true;
              } catch {
                return false;
              }
            }, 'must be a valid regular expression'),
            replace: z.string(),
          })
          .strict(),
      )
      .default([]),
    priority: z.number().int().min(0).max(10_000).default(100),
    country_code: z.string().regex(/^[1-9][0-9]{0,2}$/).default('86'),
    enabled: z.boolean().default(true),
  })
  .strict()
  .superRefine((t, ctx) => {
    if (t.register && (t.username === undefined || t.password === undefined)) ctx.addIssue({ code: 'custom', path: ['register'], message: 'register needs username and password' });
    if (t.inbound_auth === 'digest' && (t.inbound_username === undefined || t.inbound_password === undefined)) ctx.addIssue({ code: 'custom', path: ['inbound_auth'], message: 'inbound_auth digest needs inbound_username and inbound_password' });
    if (t.kind !== 'carrier' && t.tenant === undefined) ctx.addIssue({ code: 'custom', path: ['tenant'], message: `a ${t.kind} trunk belongs to a tenant` });
  });

export const extensionDecl = z
  .object({
    number: z.preprocess((v) => (typeof v === 'number' ? String(v) : v), extensionNumber),
    name: z.string().max(64).optional(),
    password: z.string().min(8).max(128),
    max_terminals: z.number().int().min(1).max(3).default(3),
    ring_strategy: ringStrategy.default('simultaneous'),
    ring_timeout_s: z.number().int().min(5).max(300).default(20),
    max_concurrent_calls: z.number().int().min(1).max(100).default(2),
    voicemail: z.boolean().default(true),
    /** PIN for listening to voicemail by phone (*97). */
    voicemail_pin: z.preprocess(asString, z.string().regex(/^[0-9]{4,12}$/, 'must be 4 to 12 digits')).optional(),
    /** PSTN numbers rung with the registered phones (an employee's mobile); phones + these ≤ max_terminals. */
    pstn_terminals: z.array(phoneNumber).max(3).default([]),
    /** Outbound whitelist / blacklist: prefixes of outside numbers (national form) this extension may / may not dial. */
    outbound_allow: z.array(digitPattern).default([]),
    outbound_deny: z.array(digitPattern).default([]),
    /** Which extensions of the tenant may call this one (R-VAS-4): extension numbers or prefixes. */
    callers_allow: z.array(digitPattern).default([]),
    callers_deny: z.array(digitPattern).default([]),
  })
  .strict();

/** Per-tenant call settings a config may declare (the database holds them for other tenants). */
const tenantCallSettings = {
  /** Record every call of the tenant (R-BASIC-1). */
  recording: z.boolean().default(true),
  /** Recordings older than this are deleted by the retention job (default ~6 months). */
  recording_retention_days: z.number().int().min(1).max(3650).default(183),
};

export const tenantName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_.-]{0,62}$/, 'must start with a letter and use letters, digits, . _ - (max 63)');

export const sipDomain = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/, 'must be a host name or IPv4 address')
  .transform((d) => d.toLowerCase());

export const tenantDecl = z
  .object({
    name: tenantName,
    domain: sipDomain.optional(),
    default: z.boolean().default(false),
    ...tenantCallSettings,
    ...tenantSettingsSchema.shape,
    extensions: z.array(extensionDecl).default([]),
    numbers: z.array(numberDecl).default([]),
  })
  .strict();

export const digestAlgorithm = z.enum(['MD5', 'SHA-256']);

export const configSchema = z
  .object({
    data_dir: z.string().min(1).default('./data'),
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      })
      .strict()
      .prefault({}),
    sip: z
      .object({
        udp: listener({ enabled: true, host: '0.0.0.0', port: 5060 }),
        tcp: listener({ enabled: true, host: '0.0.0.0', port: 5060 }),
        tls: z
          .object({
            enabled: z.boolean().default(false),
            host: host.default('0.0.0.0'),
            port: port.default(5061),
            cert: z.string().min(1).optional(),
            key: z.string().min(1).optional(),
          })
          .strict()
          .prefault({}),
        public_address: host.optional(),
        max_message_size: z.number().int().min(1024).max(1_048_576).default(65_535),
        options_server_header: z.string().min(1).optional(),
        timers: z
          .object({
            t1: positiveInt.default(500),
            t2: positiveInt.default(4000),
            t4: positiveInt.default(5000),
          })
          .strict()
          .prefault({}),
        auth: z
          .object({
            algorithms: z.array(digestAlgorithm).min(1).default(['MD5', 'SHA-256']),
            nonce_lifetime_s: positiveInt.default(300),
            realm: z.string().min(1).default('pbx'),
            single_challenge_user_agents: z.array(z.string().min(1)).default(['baresip']),
          })
          .strict()
          .prefault({}),
        registrar: z
          .object({
            min_expires: positiveInt.default(60),
            max_expires: positiveInt.default(3600),
            default_expires: positiveInt.default(3600),
            keepalive_interval_s: z.number().int().min(0).default(30),
            keepalive_failures: positiveInt.default(3),
          })
          .strict()
          .prefault({}),
        security: z
          .object({
            max_auth_failures: positiveInt.default(10),
            failure_window_s: positiveInt.default(60),
            block_duration_s: positiveInt.default(900),
            scanner_user_agents: z.array(z.string().min(1)).optional(),
            extra_scanner_user_agents: z.array(z.string().min(1)).default([]),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    media: z
      .object({
        /** Where RTP sockets bind. */
        host: host.default('0.0.0.0'),
        /** Address written into SDP (c=); default: sip.public_address, else the first non-internal IPv4. */
        public_address: host.optional(),
        rtp_port_min: z.number().int().min(1024).max(65534).default(10000),
        rtp_port_max: z.number().int().min(1025).max(65535).default(20000),
        /** Media worker threads; 0 = one per core. */
        workers: z.number().int().min(0).max(64).default(0),
        /** No RTP on a leg for this long ends the call (0 = never). */
        rtp_timeout_s: z.number().int().min(0).max(3600).default(60),
        /**
         * Symmetric RTP: send a phone its media where its packets come from (phones behind NAT
         * need it). false: always to the SDP address, packets accepted from anywhere.
         */
        symmetric_rtp: z.boolean().default(true),
      })
      .strict()
      .refine((m) => m.rtp_port_max - m.rtp_port_min >= 3, { message: 'rtp_port_max must be at least rtp_port_min + 3 (one RTP/RTCP pair per leg, two legs a call)', path: ['rtp_port_max'] })
      .prefault({}),
    calls: z
      .object({
        /** Codecs offered/accepted, in order of preference (relay is transparent within this set). */
        codecs: z.array(z.enum(['PCMA', 'PCMU', 'G722', 'G729', 'opus', 'telephone-event'])).min(1).default(['PCMA', 'PCMU', 'telephone-event']),
        /** Calls longer than this are ended by the PBX (0 = no limit). */
        max_duration_s: z.number().int().min(0).default(0),
        /** RFC 4028 Session-Expires we ask for when a peer supports timers; minimum we accept (Min-SE). */
        session_expires_s: z.number().int().min(90).default(1800),
        min_se_s: z.number().int().min(90).default(90),
        /** Ring a busy extension's terminals anyway (call waiting) instead of answering 486. */
        call_waiting: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    recording: z
      .object({
        /** Where call recordings go; default <data_dir>/recordings. */
        dir: z.string().min(1).optional(),
        /** How often the retention job looks for recordings past their tenant's retention. */
        retention_sweep_interval_s: z.number().int().min(60).default(3600),
      })
      .strict()
      .prefault({}),
    /** Where voicemail messages are stored; default <data_dir>/voicemail. */
    voicemail: z
      .object({
        dir: z.string().min(1).optional(),
      })
      .strict()
      .prefault({}),
    /** The outbox (SMS and webhooks): providers and delivery. */
    notify: z
      .object({
        sms: z
          .object({
            /** log: write SMS to the log only (the embedded default); http: a generic HTTP SMS gateway. */
            provider: z.enum(['log', 'http']).default('log'),
            http: z
              .object({
                /** {to} and {text} are replaced (URL-encoded) in the URL. */
                url: z.string().url(),
                method: z.enum(['POST', 'GET']).default('POST'),
                /** Extra headers, e.g. { Authorization: 'Bearer …' }. */
                headers: z.record(z.string(), z.string()).default({}),
                /** json or form body built from `fields`. */
                body: z.enum(['json', 'form']).default('json'),
                /** Body fields; values may use {to} and {text}. */
                fields: z.record(z.string(), z.string()).default({ to: '{to}', text: '{text}' }),
              })
              .strict()
              .optional(),
            /** Longest SMS in segments (70 UCS-2 / 160 GSM characters each, fewer when split). */
            max_segments: z.number().int().min(1).max(10).default(3),
          })
          .strict()
          .refine((s) => s.provider !== 'http' || s.http !== undefined, { message: 'provider http needs notify.sms.http', path: ['http'] })
          .prefault({}),
        /** Attempts before a message is dead, and the back-off between them (doubling). */
        max_attempts: z.number().int().min(1).max(50).default(8),
        retry_base_s: z.number().int().min(1).max(3600).default(30),
        retry_max_s: z.number().int().min(1).max(86_400).default(3600),
        /** One delivery attempt may take this long. */
        timeout_ms: z.number().int().min(100).max(60_000).default(5000),
      })
      .strict()
      .prefault({}),
    api: listener({ enabled: true, host: '127.0.0.1', port: 8080 }),
    trunks: z.array(trunkDecl).default([]),
    tenants: z.array(tenantDecl).default([]),
  })
  .strict();

/** The validated configuration, every default filled in. */
export type Config = z.output<typeof configSchema>;
/** What a YAML file may contain (every key optional). */
export type ConfigInput = z.input<typeof configSchema>;
export type TenantDecl = z.output<typeof tenantDecl>;
export type ExtensionDecl = z.output<typeof extensionDecl>;
export type NumberDecl = z.output<typeof numberDecl>;
export type TrunkDecl = z.output<typeof trunkDecl>;
