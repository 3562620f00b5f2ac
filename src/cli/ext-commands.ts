// bin/pbx ext add|list|show|set|remove|set-password, ext devices (what it rings: registered SIP
// devices from the running PBX, and PSTN terminals), ext terminal add|list|remove (PSTN numbers
// rung with the phones), ext rule add|list|remove (outbound prefixes, which extensions may call).
// --kind operator|function: extensions without an employee (employees' own come with
// `pbx employee add`).
import { Command } from 'commander';
import { choiceOption, cliActor, intOption, loadCliConfig, withConfigOption, withJsonOption, withServices, type CommonOptions } from './context.ts';
import { isoTime, json, stdio, table, type Out } from './output.ts';
import { controlRequest } from './control-client.ts';
import { FUNCTION_KINDS, RING_STRATEGIES, type Extension, type ExtensionKind, type ExtensionPatch, type RingStrategy } from '../directory/extension-service.ts';
import { extensionDevices, type ExtensionDevices } from '../directory/extension-devices.ts';
import { RULE_ACTIONS, RULE_SCOPES, checkRule, type CallRule, type CallRuleInput } from '../directory/call-rule-service.ts';
import type { Terminal } from '../directory/terminal-service.ts';
import { InvalidError, UserError } from '../errors.ts';
import type { Services } from '../services.ts';

interface TenantOption extends CommonOptions {
  tenant?: string;
}

interface ExtOptions extends TenantOption {
  name?: string;
  password?: string;
  maxTerminals?: number;
  ringStrategy?: RingStrategy;
  ringTimeout?: number;
  maxCalls?: number;
  voicemail?: boolean;
  voicemailPin?: string;
  kind?: ExtensionKind;
}

export function extensionView(e: Extension) {
  return { ...e, createdAt: isoTime(e.createdAt) };
}

function tenantOption(c: Command): Command {
  return c.option('-t, --tenant <tenant>', 'tenant name or id (default: the default tenant)');
}

function settingOptions(c: Command): Command {
  return c
    .option('-n, --name <display name>', 'display name')
    .option('--max-terminals <n>', 'devices that may register and ring: 1-3 (default 3)', intOption(1, 3))
    .option('--ring-strategy <strategy>', 'sequential | simultaneous (default simultaneous)', choiceOption(RING_STRATEGIES))
    .option('--ring-timeout <seconds>', 'seconds each terminal rings: 5-300 (default 20)', intOption(5, 300))
    .option('--max-calls <n>', 'concurrent calls: 1-100 (default 2)', intOption(1, 100))
    .option('--voicemail', 'unanswered calls go to voicemail (default)')
    .option('--no-voicemail', 'no voicemail')
    .option('-k, --kind <kind>', "operator | function (default function; an employee's extension comes with `pbx employee add`)", choiceOption(FUNCTION_KINDS));
}

function describe(e: Extension, tenantName: string, employee?: string | null): string {
  return table(
    ['field', 'value'],
    [
      ['tenant', tenantName],
      ['number', e.number],
      ['kind', e.kind],
      ...(employee ? [['employee', employee] as [string, string]] : []),
      ['name', e.displayName],
      ['max terminals', e.maxTerminals],
      ['ring strategy', e.ringStrategy],
      ['ring timeout', `${e.ringTimeoutS} s`],
      ['max calls', e.maxConcurrentCalls],
      ['voicemail', e.voicemailEnabled ? 'on' : 'off'],
      ['source', e.configManaged ? 'config file' : 'database'],
      ['created', isoTime(e.createdAt)],
    ],
  );
}

/** "E001 (Zhang San)" for an employee's extension. */
function employeeOf(s: Services, tenantId: number, e: Extension): string | null {
  const employee = e.employeeId === null ? undefined : s.employees.findById(tenantId, e.employeeId);
  return employee ? `${employee.employeeNo} (${employee.name})` : null;
}

function devicesView(v: ExtensionDevices) {
  return {
    ...v,
    extension: extensionView(v.extension),
    registered: v.registered.map((d) => ({ ...d, registeredAt: isoTime(d.registeredAt), expiresAt: isoTime(d.expiresAt) })),
    pstn: v.pstn.map((p) => ({ ...p, createdAt: isoTime(p.createdAt) })),
  };
}

export function extCommands(io: Out = stdio): Command {
  const cmd = new Command('ext').description('extensions (internal numbers) of a tenant');

  withJsonOption(settingOptions(tenantOption(cmd.command('add <number>').description('add an extension; the SIP password is generated and printed if not given'))))
    .option('-p, --password <password>', 'SIP password (8-128 printable characters)')
    .action(async (number: string, o: ExtOptions) => {
      await withServices(o, (s) => {
        const t = s.tenants.resolve(o.tenant);
        const r = s.extensions.add(
          t.id,
          {
            number,
            ...(o.kind !== undefined ? { kind: o.kind } : {}),
            displayName: o.name,
            password: o.password,
            maxTerminals: o.maxTerminals,
            ringStrategy: o.ringStrategy,
            ringTimeoutS: o.ringTimeout,
            maxConcurrentCalls: o.maxCalls,
            voicemailEnabled: o.voicemail,
          },
          cliActor(),
        );
        if (o.json) return io.out(json({ ...extensionView(r.extension), password: r.password, generatedPassword: r.generatedPassword }));
        io.out(`extension ${r.extension.number} added to tenant ${t.name}`);
        io.out(`SIP password: ${r.password}${r.generatedPassword ? '  (generated; shown only now)' : ''}`);
      });
    });

  withJsonOption(tenantOption(cmd.command('list').description('list extensions, ordered by number')))
    .option('--limit <n>', 'at most this many (default 100)', intOption(1, 10_000), 100)
    .option('--offset <n>', 'skip this many', intOption(0, Number.MAX_SAFE_INTEGER), 0)
    .action(async (o: TenantOption & { limit: number; offset: number }) => {
      await withServices(o, (s) => {
        const t = s.tenants.resolve(o.tenant);
        const page = s.extensions.list(t.id, { limit: o.limit, offset: o.offset });
        if (o.json) return io.out(json({ tenant: t.name, ...page, items: page.items.map(extensionView) }));
        io.out(
          table(
            ['number', 'kind', 'name', 'terminals', 'strategy', 'timeout', 'source'],
            page.items.map((e) => [e.number, e.kind, e.displayName, e.maxTerminals, e.ringStrategy, `${e.ringTimeoutS}s`, e.configManaged ? 'config' : 'db']),
          ),
        );
        if (page.total > page.items.length) io.out(`(${page.offset + 1}-${page.offset + page.items.length} of ${page.total}; use --offset/--limit)`);
      });
    });

  withJsonOption(tenantOption(cmd.command('show <number>').description('show one extension (not its password)'))).action(async (number: string, o: TenantOption) => {
    await withServices(o, (s) => {
      const t = s.tenants.resolve(o.tenant);
      const e = s.extensions.show(t.id, number);
      io.out(o.json ? json(extensionView(e)) : describe(e, t.name, employeeOf(s, t.id, e)));
    });
  });

  withJsonOption(tenantOption(cmd.command('devices <number>').description('what an extension rings: registered SIP devices (asked of the running PBX) and PSTN terminals, against its limit'))).action(
    async (number: string, o: TenantOption) => {
      const config = loadCliConfig(o);
      const path = `${o.tenant === undefined ? '' : `/tenants/${encodeURIComponent(o.tenant)}`}/extensions/${encodeURIComponent(number)}/devices`;
      let view: ExtensionDevices;
      try {
        view = await controlRequest<ExtensionDevices>(config, 'GET', path);
      } catch (e) {
        if (!(e instanceof UserError) || e.code !== 'not_running') throw e;
        // not running: the registrations as the location service last stored them
        view = await withServices(o, (s) => extensionDevices(s, s.tenants.resolve(o.tenant).id, number));
      }
      if (o.json) return io.out(json(devicesView(view)));
      const rows: Array<Array<string | number | null>> = [
        ...view.registered.map((d) => ['sip', d.contact, d.userAgent, `${d.source}${d.natted ? ' (NAT)' : ''}`, isoTime(d.expiresAt)]),
        ...view.pstn.map((p) => ['pstn', p.pstnNumber, null, null, null]),
      ];
      io.out(table(['kind', 'terminal', 'user agent', 'from', 'expires'], rows));
      io.out(`extension ${view.extension.number}: ${view.total} of ${view.limit} terminals${view.source === 'stored' ? ' (the PBX is not running: registrations as last stored)' : ''}`);
    },
  );

  withJsonOption(settingOptions(tenantOption(cmd.command('set <number>').description('change settings of an extension'))))
    .option('--voicemail-pin <digits>', "PIN for listening to voicemail by phone (*97): 4-12 digits, 'none' removes it")
    .action(async (number: string, o: ExtOptions) => {
      await withServices(o, (s) => {
        const t = s.tenants.resolve(o.tenant);
        if (o.voicemailPin !== undefined) s.voicemailPins.set(t.id, number, o.voicemailPin === 'none' ? null : o.voicemailPin, cliActor());
        const patch: ExtensionPatch = {};
        if (o.name !== undefined) patch.displayName = o.name;
        if (o.maxTerminals !== undefined) patch.maxTerminals = o.maxTerminals;
        if (o.ringStrategy !== undefined) patch.ringStrategy = o.ringStrategy;
        if (o.ringTimeout !== undefined) patch.ringTimeoutS = o.ringTimeout;
        if (o.maxCalls !== undefined) patch.maxConcurrentCalls = o.maxCalls;
        if (o.voicemail !== undefined) patch.voicemailEnabled = o.voicemail;
        if (o.kind !== undefined) patch.kind = o.kind;
        const e = Object.keys(patch).length > 0 || o.voicemailPin === undefined ? s.extensions.update(t.id, number, patch, cliActor()) : s.extensions.show(t.id, number);
        io.out(o.json ? json(extensionView(e)) : describe(e, t.name, employeeOf(s, t.id, e)));
      });
    });

  withConfigOption(tenantOption(cmd.command('remove <number>').description('remove an extension (and its registrations)'))).action(async (number: string, o: TenantOption) => {
    await withServices(o, (s) => {
      const t = s.tenants.resolve(o.tenant);
      s.extensions.remove(t.id, number, cliActor());
      io.out(`extension ${number} removed from tenant ${t.name}`);
    });
  });

  withJsonOption(tenantOption(cmd.command('set-password <number>').description('set the SIP password (generated and printed if not given)')))
    .option('-p, --password <password>', 'the new SIP password (8-128 printable characters)')
    .action(async (number: string, o: TenantOption & { password?: string }) => {
      await withServices(o, (s) => {
        const t = s.tenants.resolve(o.tenant);
        const r = s.extensions.setPassword(t.id, number, o.password, cliActor());
        if (o.json) return io.out(json({ number, ...r }));
        io.out(`SIP password of extension ${number} set${r.generatedPassword ? `: ${r.password}  (generated; shown only now)` : ''}`);
      });
    });

  const terminal = cmd.command('terminal').description('PSTN numbers an extension rings with its phones (an employee\'s mobile); phones + these <= max terminals');
  const terminalView = (t: Terminal) => ({ id: t.id, pstnNumber: t.pstnNumber, position: t.position, createdAt: isoTime(t.createdAt) });
  withJsonOption(tenantOption(terminal.command('add <extension> <number>').description('ring this PSTN number too (as dialled at home, or E.164)'))).action(
    async (ext: string, number: string, o: TenantOption) => {
      await withServices(o, (s) => {
        const t = s.terminals.addToExtension(s.tenants.resolve(o.tenant).id, ext, number, cliActor());
        io.out(o.json ? json(terminalView(t)) : `extension ${ext} rings ${t.pstnNumber} too`);
      });
    },
  );
  withJsonOption(tenantOption(terminal.command('list <extension>').description("an extension's PSTN terminals in ring order"))).action(async (ext: string, o: TenantOption) => {
    await withServices(o, (s) => {
      const ts = s.terminals.listForExtension(s.tenants.resolve(o.tenant).id, ext);
      if (o.json) return io.out(json(ts.map(terminalView)));
      io.out(table(['id', 'order', 'number'], ts.map((t, i) => [t.id, i + 1, t.pstnNumber])));
    });
  });
  withConfigOption(tenantOption(terminal.command('remove <extension> <number>').description('stop ringing a PSTN number (the number, or the terminal id)'))).action(
    async (ext: string, which: string, o: TenantOption) => {
      await withServices(o, (s) => {
        const t = s.terminals.removeFromExtension(s.tenants.resolve(o.tenant).id, ext, /^[0-9]{1,6}$/.test(which) ? Number(which) : which, cliActor());
        io.out(`extension ${ext} no longer rings ${t.pstnNumber}`);
      });
    },
  );

  const rule = cmd.command('rule').description('call rules: outbound allow/deny prefixes of outside numbers; inbound allow/deny extensions that may call it');
  const ruleView = (r: CallRule) => ({ ...r, createdAt: isoTime(r.createdAt) });
  withJsonOption(tenantOption(rule.command('add <extension> <scope> <action> <pattern>').description('outbound|inbound allow|deny PATTERN (digits: a prefix, or an extension number for inbound); any allow makes a whitelist'))).action(
    async (ext: string, scope: string, action: string, pattern: string, o: TenantOption) => {
      const input = checkRule({ scope, action, pattern });
      await withServices(o, (s) => {
        const r = s.callRules.add(s.tenants.resolve(o.tenant).id, ext, input, cliActor());
        io.out(o.json ? json(ruleView(r)) : `extension ${ext}: ${r.scope} ${r.action} ${r.pattern}`);
      });
    },
  );
  withJsonOption(tenantOption(rule.command('list <extension>').description("an extension's call rules"))).action(async (ext: string, o: TenantOption) => {
    await withServices(o, (s) => {
      const rs = s.callRules.list(s.tenants.resolve(o.tenant).id, ext);
      if (o.json) return io.out(json(rs.map(ruleView)));
      io.out(table(['id', 'scope', 'action', 'pattern'], rs.map((r) => [r.id, r.scope, r.action, r.pattern])));
    });
  });
  withConfigOption(tenantOption(rule.command('remove <extension> <rule...>').description(`remove a rule: its id, or SCOPE ACTION PATTERN (${RULE_SCOPES.join('|')} ${RULE_ACTIONS.join('|')} digits)`))).action(
    async (ext: string, words: string[], o: TenantOption) => {
      let which: number | CallRuleInput;
      if (words.length === 1 && /^[0-9]+$/.test(words[0]!)) which = Number(words[0]);
      else if (words.length === 3) which = checkRule({ scope: words[0], action: words[1], pattern: words[2] });
      else throw new InvalidError('give the rule id, or SCOPE ACTION PATTERN (outbound deny 00)');
      await withServices(o, (s) => {
        const r = s.callRules.remove(s.tenants.resolve(o.tenant).id, ext, which, cliActor());
        io.out(`extension ${ext}: rule ${r.scope} ${r.action} ${r.pattern} removed`);
      });
    },
  );

  return cmd;
}
