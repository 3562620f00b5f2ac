// The shape of the YAML configuration (zod 4). Every object is strict, so an unknown key is
// an error that names its path. Keys are snake_case throughout. Defaults live in the schema,
// so an empty document yields the embedded default (see defaults.ts).
import { z } from 'zod';

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
  })
  .strict();

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
    extensions: z.array(extensionDecl).default([]),
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
    api: listener({ enabled: true, host: '127.0.0.1', port: 8080 }),
    tenants: z.array(tenantDecl).default([]),
  })
  .strict();

/** The validated configuration, every default filled in. */
export type Config = z.output<typeof configSchema>;
/** What a YAML file may contain (every key optional). */
export type ConfigInput = z.input<typeof configSchema>;
export type TenantDecl = z.output<typeof tenantDecl>;
export type ExtensionDecl = z.output<typeof extensionDecl>;
