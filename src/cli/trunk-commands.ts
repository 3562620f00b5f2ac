// bin/pbx trunk add|list|show|set|remove|status — carriers, IAD gateways and tenants' PBXs.
// `status` asks the running server (registration state, calls in progress) over its control socket.
import { Command } from 'commander';
import { choiceOption, cliActor, intOption, loadCliConfig, withConfigOption, withJsonOption, withServices, type CommonOptions } from './context.ts';
import { controlRequest } from './control-client.ts';
import { isoTime, json, stdio, table, type Out } from './output.ts';
import { InvalidError } from '../errors.ts';
import type { Services } from '../services.ts';
import {
  TRUNK_KINDS,
  TRUNK_NUMBER_FORMATS,
  TRUNK_TRANSPORTS,
  CALLER_ID_HEADERS,
  INBOUND_AUTH,
} from '../trunks/schema.ts';
import type { RewriteRule, Trunk, TrunkInput, TrunkKind, TrunkPatch, TrunkStatus } from '../trunks/trunk-service.ts';

interface TrunkOptions extends CommonOptions {
  kind?: TrunkKind;
  tenant?: string;
  name?: string;
  host?: string;
  port?: number;
  transport?: TrunkInput['transport'];
  register?: boolean;
  registerExpires?: number;
  username?: string;
  password?: string;
  inboundAuth?: TrunkInput['inboundAuth'];
  inboundUsername?: string;
  inboundPassword?: string;
  address?: string[];
  maxCalls?: number;
  codecs?: string;
  calledFormat?: TrunkInput['calledFormat'];
  callerIdFormat?: TrunkInput['callerIdFormat'];
  callerIdHeader?: TrunkInput['callerIdHeader'];
  diversion?: boolean;
  rewrite?: string[];
  priority?: number;
  countryCode?: string;
  enable?: boolean;
  disable?: boolean;
}

export function trunkView(t: Trunk, tenantName?: string | null) {
  return { ...t, tenant: tenantName ?? null, createdAt: isoTime(t.createdAt) };
}

/** "^0086=00": a regular expression and its replacement, split at the last '='. */
function parseRewrite(text: string): RewriteRule {
  const i = text.lastIndexOf('=');
  if (i <= 0) throw new InvalidError(`--rewrite ${JSON.stringify(text)} must be REGEX=REPLACEMENT, such as ^0086=00`);
  return { match: text.slice(0, i), replace: text.slice(i + 1) };
}

/** '' clears an optional text setting. */
const orNull = (v: string | undefined): string | null | undefined => (v === undefined ? undefined : v === '' ? null : v);

function settingOptions(c: Command): Command {
  return c
    .option('--host <host>', 'host name or address of the trunk')
    .option('--port <port>', 'SIP port (default 5060)', intOption(1, 65535))
    .option('--transport <transport>', 'udp | tcp | tls (default udp)', choiceOption(TRUNK_TRANSPORTS))
    .option('--register', 'send REGISTER to the trunk with --username/--password')
    .option('--no-register', 'do not register (default)')
    .option('--register-expires <seconds>', 'registration interval asked for: 60-86400 (default 3600)', intOption(60, 86_400))
    .option('--username <user>', "user name we register and authenticate with ('' clears)")
    .option('--password <password>', "password we register and authenticate with ('' clears)")
    .option('--inbound-auth <how>', 'how calls from the trunk are recognised: ip (source address, default) | digest', choiceOption(INBOUND_AUTH))
    .option('--inbound-username <user>', "user name the trunk authenticates to us with (inbound-auth digest; '' clears)")
    .option('--inbound-password <password>', "password the trunk authenticates to us with, at least 8 characters ('' clears)")
    .option('--address <address...>', 'further source addresses accepted for inbound-auth ip (replaces the list)')
    .option('--max-calls <n>', 'concurrent calls, both directions: 0 = no limit (default 0)', intOption(0, 100_000))
    .option('--codecs <list>', "codecs, comma-separated (PCMA,PCMU,G722,G729,opus,telephone-event); '' = the server's")
    .option('--called-format <format>', 'how called numbers are written toward the trunk: e164 | national | international00 (default national)', choiceOption(TRUNK_NUMBER_FORMATS))
    .option('--caller-id-format <format>', 'how the presented number is written: e164 | national | international00 (default national)', choiceOption(TRUNK_NUMBER_FORMATS))
    .option('--caller-id-header <header>', 'where the presented number goes: from | pai | both (default both)', choiceOption(CALLER_ID_HEADERS))
    .option('--diversion', 'send a Diversion header on forwarded calls')
    .option('--no-diversion', 'no Diversion header (default)')
    .option('--rewrite <regex=replacement...>', 'rewrites of the called number after formatting, in order (replaces the list; "" clears)')
    .option('--priority <n>', 'order in the outbound failover list, lower first: 0-10000 (default 100)', intOption(0, 10_000))
    .option('--country-code <code>', "calling code of the trunk's numbering plan (default 86)")
    .option('--enable', 'use the trunk (default)')
    .option('--disable', 'keep the trunk but do not use it');
}

function settingsOf(o: TrunkOptions): TrunkPatch {
  const p: TrunkPatch = {};
  if (o.host !== undefined) p.host = o.host;
  if (o.port !== undefined) p.port = o.port;
  if (o.transport !== undefined) p.transport = o.transport;
  if (o.register !== undefined) p.register = o.register;
  if (o.registerExpires !== undefined) p.registerExpiresS = o.registerExpires;
  if (o.username !== undefined) p.username = orNull(o.username);
  if (o.password !== undefined) p.password = orNull(o.password);
  if (o.inboundAuth !== undefined) p.inboundAuth = o.inboundAuth;
  if (o.inboundUsername !== undefined) p.inboundUsername = orNull(o.inboundUsername);
  if (o.inboundPassword !== undefined) p.inboundPassword = orNull(o.inboundPassword);
  if (o.address !== undefined) p.addresses = o.address.filter((a) => a !== '');
  if (o.maxCalls !== undefined) p.maxCalls = o.maxCalls;
  if (o.codecs !== undefined) p.codecs = o.codecs === '' ? null : o.codecs.split(',').map((c) => c.trim()).filter((c) => c !== '');
  if (o.calledFormat !== undefined) p.calledFormat = o.calledFormat;
  if (o.callerIdFormat !== undefined) p.callerIdFormat = o.callerIdFormat;
  if (o.callerIdHeader !== undefined) p.callerIdHeader = o.callerIdHeader;
  if (o.diversion !== undefined) p.diversion = o.diversion;
  if (o.rewrite !== undefined) p.rewrite = o.rewrite.filter((r) => r !== '').map(parseRewrite);
  if (o.priority !== undefined) p.priority = o.priority;
  if (o.countryCode !== undefined) p.countryCode = o.countryCode;
  if (o.enable && o.disable) throw new InvalidError('--enable and --disable together: choose one');
  if (o.enable) p.enabled = true;
  if (o.disable) p.enabled = false;
  return p;
}

function tenantNames(s: Services): Map<number, string> {
  return new Map(s.tenants.list().map((t) => [t.id, t.name]));
}

function describe(t: Trunk, tenant: string | null): string {
  return table(
    ['field', 'value'],
    [
      ['name', t.name],
      ['kind', t.kind],
      ['tenant', tenant ?? (t.kind === 'carrier' ? '(shared)' : null)],
      ['address', `${t.host}:${t.port} (${t.transport})`],
      ['register', t.register ? `yes, every ${t.registerExpiresS} s as ${t.username}` : 'no'],
      ['credentials', t.username === null ? null : `${t.username} / ${t.password ?? '-'}`],
      ['inbound auth', t.inboundAuth === 'ip' ? `ip${t.addresses.length > 0 ? ` (${[t.host, ...t.addresses].join(', ')})` : ''}` : `digest as ${t.inboundUsername} / ${t.inboundPassword ?? '-'}`],
      ['max calls', t.maxCalls === 0 ? 'no limit' : t.maxCalls],
      ['codecs', t.codecs === null ? '(server default)' : t.codecs.join(', ')],
      ['called format', t.calledFormat],
      ['caller ID', `${t.callerIdFormat} in ${t.callerIdHeader}`],
      ['diversion', t.diversion ? 'yes' : 'no'],
      ['rewrite', t.rewrite.length === 0 ? null : t.rewrite.map((r) => `${r.match} → ${r.replace}`).join('; ')],
      ['priority', t.priority],
      ['country code', t.countryCode],
      ['enabled', t.enabled ? 'yes' : 'no'],
      ['source', t.configManaged ? 'config file' : 'database'],
      ['created', isoTime(t.createdAt)],
    ],
  );
}

export function trunkCommands(io: Out = stdio): Command {
  const cmd = new Command('trunk').description('trunks: carriers (shared), IAD gateways and tenant PBXs');

  withJsonOption(settingOptions(cmd.command('add <name>').description('add a trunk')))
    .requiredOption('--kind <kind>', 'carrier | gateway | pbx', choiceOption(TRUNK_KINDS))
    .option('-t, --tenant <tenant>', 'owning tenant of a gateway or pbx trunk (name or id)')
    .action(async (name: string, o: TrunkOptions) => {
      if (o.host === undefined) throw new InvalidError('--host is required: the host name or address of the trunk');
      await withServices(o, (s) => {
        const tenant = o.tenant === undefined ? null : s.tenants.resolve(o.tenant);
        const t = s.trunks.add({ ...settingsOf(o), name, kind: o.kind!, tenantId: tenant?.id ?? null, host: o.host! }, cliActor());
        io.out(o.json ? json(trunkView(t, tenant?.name)) : `trunk ${t.name} added (id ${t.id}, ${t.kind}${tenant ? ` of tenant ${tenant.name}` : ''})`);
      });
    });

  withJsonOption(cmd.command('list').description('list trunks (secrets shown as ***)'))
    .option('-t, --tenant <tenant>', "only this tenant's trunks")
    .action(async (o: CommonOptions & { tenant?: string }) => {
      await withServices(o, (s) => {
        const names = tenantNames(s);
        const ts = s.trunks.list(o.tenant === undefined ? {} : { tenantId: s.tenants.resolve(o.tenant).id });
        if (o.json) return io.out(json(ts.map((t) => trunkView(t, t.tenantId === null ? null : names.get(t.tenantId)))));
        io.out(
          table(
            ['name', 'kind', 'tenant', 'address', 'register', 'inbound', 'max calls', 'priority', 'enabled', 'source'],
            ts.map((t) => [
              t.name,
              t.kind,
              t.tenantId === null ? null : names.get(t.tenantId),
              `${t.host}:${t.port}/${t.transport}`,
              t.register ? 'yes' : 'no',
              t.inboundAuth,
              t.maxCalls === 0 ? '-' : t.maxCalls,
              t.priority,
              t.enabled ? 'yes' : 'no',
              t.configManaged ? 'config' : 'db',
            ]),
          ),
        );
      });
    });

  withJsonOption(cmd.command('show <name>').description('show one trunk (secrets shown as ***)')).action(async (name: string, o: CommonOptions) => {
    await withServices(o, (s) => {
      const t = s.trunks.get(name);
      const tenant = t.tenantId === null ? null : (s.tenants.get(t.tenantId)?.name ?? null);
      io.out(o.json ? json(trunkView(t, tenant)) : describe(t, tenant));
    });
  });

  withJsonOption(settingOptions(cmd.command('set <name>').description('change a trunk (not for trunks declared in the config file); kind and tenant stay')))
    .option('--name <new name>', 'rename the trunk (tenants\' outbound lists follow)')
    .action(async (name: string, o: TrunkOptions) => {
      const patch = settingsOf(o);
      if (o.name !== undefined) patch.name = o.name;
      if (Object.keys(patch).length === 0) throw new InvalidError('nothing to change: pass the options to change (see pbx trunk set --help)');
      await withServices(o, (s) => {
        const t = s.trunks.update(name, patch, cliActor());
        const tenant = t.tenantId === null ? null : (s.tenants.get(t.tenantId)?.name ?? null);
        io.out(o.json ? json(trunkView(t, tenant)) : describe(t, tenant));
      });
    });

  withConfigOption(cmd.command('remove <name>').description('remove a trunk no number and no outbound list uses')).action(async (name: string, o: CommonOptions) => {
    await withServices(o, (s) => {
      const t = s.trunks.remove(name, cliActor());
      io.out(`trunk ${t.name} removed`);
    });
  });

  withJsonOption(cmd.command('status').description('registration state and calls in progress of each trunk, from the running PBX')).action(async (o: CommonOptions) => {
    const config = loadCliConfig(o);
    const { items } = await controlRequest<{ items: TrunkStatus[] }>(config, 'GET', '/trunks/status');
    if (o.json)
      return io.out(
        json(
          items.map((t) => ({
            ...t,
            ...(t.registration
              ? {
                  registration: {
                    ...t.registration,
                    ...(t.registration.expiresAt !== undefined ? { expiresAt: isoTime(t.registration.expiresAt) } : {}),
                    ...(t.registration.nextAttemptAt !== undefined ? { nextAttemptAt: isoTime(t.registration.nextAttemptAt) } : {}),
                  },
                }
              : {}),
          })),
        ),
      );
    io.out(
      table(
        ['name', 'kind', 'registration', 'last answer', 'expires', 'next attempt', 'calls'],
        items.map((t) => [
          t.name,
          t.kind,
          t.registration ? t.registration.state : '(not registering)',
          t.registration ? [t.registration.lastStatus, t.registration.lastError].filter((x) => x !== undefined && x !== null).join(' ') || null : null,
          isoTime(t.registration?.expiresAt),
          isoTime(t.registration?.nextAttemptAt),
          t.activeCalls,
        ]),
      ),
    );
  });

  return cmd;
}
