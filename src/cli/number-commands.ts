// bin/pbx number add|list|show|set|remove, number block add|list|remove, number terminal
// add|list|remove — the numbers (DIDs) of tenants, their caller blacklists and direct-line terminals.
import { Command } from 'commander';
import { choiceOption, cliActor, intOption, withConfigOption, withJsonOption, withServices, type CommonOptions } from './context.ts';
import { isoTime, json, stdio, table, type Out } from './output.ts';
import { InvalidError } from '../errors.ts';
import { BLOCK_ACTIONS, NUMBER_MODES } from '../numbers/schema.ts';
import type { DidNumber, NumberInput, NumberPatch } from '../numbers/number-service.ts';
import { formatTerminal, parseTerminalSpec, type Terminal, type TerminalSpec } from '../directory/terminal-service.ts';
import type { Services } from '../services.ts';

interface TenantOption extends CommonOptions {
  tenant?: string;
}

interface NumberOptions extends TenantOption {
  mode?: NumberInput['mode'];
  main?: boolean;
  trunk?: string;
  maxCalls?: number;
  greeting?: string;
  blockAction?: NumberInput['blockAction'];
  ringStrategy?: NumberInput['ringStrategy'];
  ringTimeout?: number;
  terminal?: string[];
}

export function numberView(n: DidNumber) {
  return { ...n, createdAt: isoTime(n.createdAt) };
}

export function terminalView(t: Terminal) {
  return { ...t, terminal: formatTerminal(t), createdAt: isoTime(t.createdAt) };
}

function tenantOption(c: Command, what = 'tenant name or id (default: the default tenant)'): Command {
  return c.option('-t, --tenant <tenant>', what);
}

const LOOKUP = "the number's tenant (name or id): reads a national number with its country code, and only its numbers are found";

function settingOptions(c: Command): Command {
  return c
    .option('--trunk <trunk>', "sipTrunk mode: the tenant's PBX trunk (kind pbx) calls go to ('' clears)")
    .option('--max-calls <n>', 'sipTrunk mode: purchased concurrent calls, 0 = no limit (default 0)', intOption(0, 10_000))
    .option('--greeting <file>', "WAV greeting (8 kHz mono) instead of the built-in welcome ('' clears)")
    .option('--block-action <action>', 'what a blacklisted caller gets: busy (486, default) | announcement | drop', choiceOption(BLOCK_ACTIONS))
    .option('--ring-strategy <strategy>', 'direct mode: sequential (default) | simultaneous', choiceOption(['sequential', 'simultaneous'] as const))
    .option('--ring-timeout <seconds>', 'direct mode: seconds each terminal rings, 5-300 (default 20)', intOption(5, 300))
    .option('--terminal <terminal...>', 'direct mode: 1-3 terminals, each ext:<extension> or pstn:<number> (replaces them)');
}

function inputOf(o: NumberOptions): NumberPatch {
  const p: NumberPatch = {};
  if (o.mode !== undefined) p.mode = o.mode;
  if (o.main !== undefined) p.isMain = o.main;
  if (o.trunk !== undefined) p.trunk = o.trunk === '' ? null : o.trunk;
  if (o.maxCalls !== undefined) p.maxCalls = o.maxCalls;
  if (o.greeting !== undefined) p.greeting = o.greeting === '' ? null : o.greeting;
  if (o.blockAction !== undefined) p.blockAction = o.blockAction;
  if (o.ringStrategy !== undefined) p.ringStrategy = o.ringStrategy;
  if (o.ringTimeout !== undefined) p.ringTimeoutS = o.ringTimeout;
  if (o.terminal !== undefined) p.terminals = o.terminal.map(parseTerminalSpec);
  return p;
}

/** The tenant to look a number up in, when --tenant is given. */
const scope = (s: Services, o: TenantOption): number | undefined => (o.tenant === undefined ? undefined : s.tenants.resolve(o.tenant).id);

function describe(n: DidNumber, terminals: Terminal[], blacklist: string[]): string {
  return table(
    ['field', 'value'],
    [
      ['number', n.number],
      ['tenant', n.tenant],
      ['mode', n.mode],
      ['main', n.isMain ? 'yes' : 'no'],
      ...(n.mode === 'sipTrunk' ? [['trunk', n.trunk] as [string, string | null], ['max calls', n.maxCalls === 0 ? 'no limit' : n.maxCalls] as [string, string | number]] : []),
      ...(n.mode === 'direct'
        ? [
            ['terminals', terminals.map(formatTerminal).join(', ')] as [string, string],
            ['ring', `${n.ringStrategy}, ${n.ringTimeoutS} s each`] as [string, string],
          ]
        : []),
      ['greeting', n.greeting ?? '(built-in)'],
      ['blacklist', blacklist.length === 0 ? null : blacklist.join(', ')],
      ['blocked callers get', n.blockAction],
      ['source', n.configManaged ? 'config file' : 'database'],
      ['created', isoTime(n.createdAt)],
    ],
  );
}

function show(io: Out, s: Services, n: DidNumber, asJson: boolean | undefined): void {
  const terminals = s.numbers.terminalsOf(n.id);
  const blacklist = s.numbers.blacklist(n.id).map((b) => b.entry);
  io.out(asJson ? json({ ...numberView(n), terminals: terminals.map(terminalView), blacklist }) : describe(n, terminals, blacklist));
}

export function numberCommands(io: Out = stdio): Command {
  const cmd = new Command('number').description("numbers (DIDs): switchboard, direct line or SIP trunk; blacklists and direct-line terminals");

  withJsonOption(settingOptions(tenantOption(cmd.command('add <number>').description('add a number to a tenant (E.164, or national in the tenant\'s country)'))))
    .requiredOption('--mode <mode>', 'switchboard | direct | sipTrunk', choiceOption(NUMBER_MODES))
    .option('--main', "the tenant's main number: its extensions' outbound calls show it (clears the old main)")
    .action(async (number: string, o: NumberOptions) => {
      await withServices(o, (s) => {
        const t = s.tenants.resolve(o.tenant);
        const n = s.numbers.add(t.id, { ...inputOf(o), number, mode: o.mode! }, cliActor());
        if (o.json) return show(io, s, n, true);
        io.out(`number ${n.number} added to tenant ${t.name} (${n.mode}${n.isMain ? ', main' : ''})`);
      });
    });

  withJsonOption(tenantOption(cmd.command('list').description('list numbers'), 'only this tenant (name or id)')).action(async (o: TenantOption) => {
    await withServices(o, (s) => {
      const ns = s.numbers.list(o.tenant === undefined ? {} : { tenantId: s.tenants.resolve(o.tenant).id });
      if (o.json) return io.out(json(ns.map(numberView)));
      io.out(
        table(
          ['number', 'tenant', 'mode', 'main', 'goes to', 'blacklist', 'source'],
          ns.map((n) => [
            n.number,
            n.tenant,
            n.mode,
            n.isMain ? 'yes' : '',
            n.mode === 'sipTrunk' ? `trunk ${n.trunk ?? '-'}` : n.mode === 'direct' ? s.numbers.terminalsOf(n.id).map(formatTerminal).join(', ') : 'switchboard',
            s.numbers.blacklist(n.id).length || '',
            n.configManaged ? 'config' : 'db',
          ]),
        ),
      );
    });
  });

  withJsonOption(tenantOption(cmd.command('show <number>').description('show a number with its terminals and blacklist'), LOOKUP)).action(async (number: string, o: TenantOption) => {
    await withServices(o, (s) => show(io, s, s.numbers.get(number, scope(s, o)), o.json));
  });

  withJsonOption(settingOptions(tenantOption(cmd.command('set <number>').description('change a number (not for numbers declared in the config file)'), LOOKUP)))
    .option('--mode <mode>', 'switchboard | direct | sipTrunk', choiceOption(NUMBER_MODES))
    .option('--main', "make it the tenant's main number (clears the old main)")
    .option('--no-main', 'not the main number')
    .action(async (number: string, o: NumberOptions) => {
      const patch = inputOf(o);
      if (Object.keys(patch).length === 0) throw new InvalidError('nothing to change: pass the options to change (see pbx number set --help)');
      await withServices(o, (s) => show(io, s, s.numbers.update(number, patch, cliActor(), scope(s, o)), o.json));
    });

  withConfigOption(tenantOption(cmd.command('remove <number>').description('remove a number with its blacklist and terminals'), LOOKUP)).action(async (number: string, o: TenantOption) => {
    await withServices(o, (s) => {
      const n = s.numbers.remove(number, cliActor(), scope(s, o));
      io.out(`number ${n.number} removed from tenant ${n.tenant}`);
    });
  });

  const block = cmd.command('block').description("a number's caller blacklist: numbers (13812345678) and prefixes (0755*)");
  withJsonOption(tenantOption(block.command('add <number> <entry>').description('blacklist a caller number, or every number starting with a prefix (0755*)'), LOOKUP))
    .option('--note <text>', 'why (kept with the entry)')
    .action(async (number: string, entry: string, o: TenantOption & { note?: string }) => {
      await withServices(o, (s) => {
        const b = s.numbers.block(number, entry, o.note ?? null, cliActor(), scope(s, o));
        io.out(o.json ? json({ ...b, createdAt: isoTime(b.createdAt) }) : `${b.entry} blacklisted on ${s.numbers.get(number, scope(s, o)).number}`);
      });
    });
  withJsonOption(tenantOption(block.command('list <number>').description("a number's blacklist"), LOOKUP)).action(async (number: string, o: TenantOption) => {
    await withServices(o, (s) => {
      const bs = s.numbers.blacklist(number, scope(s, o));
      if (o.json) return io.out(json(bs.map((b) => ({ ...b, createdAt: isoTime(b.createdAt) }))));
      io.out(table(['entry', 'match', 'note', 'added'], bs.map((b) => [b.entry, b.match, b.note, isoTime(b.createdAt)])));
    });
  });
  withConfigOption(tenantOption(block.command('remove <number> <entry>').description('take an entry off the blacklist'), LOOKUP)).action(async (number: string, entry: string, o: TenantOption) => {
    await withServices(o, (s) => {
      const b = s.numbers.unblock(number, entry, cliActor(), scope(s, o));
      io.out(`${b.entry} is no longer blacklisted`);
    });
  });

  const terminal = cmd.command('terminal').description("a direct-line number's terminals (1-3): ext:<extension> or pstn:<number>");
  withJsonOption(tenantOption(terminal.command('add <number> <terminal>').description('add a terminal: ext:<extension of the tenant> or pstn:<number>'), LOOKUP)).action(
    async (number: string, spec: string, o: TenantOption) => {
      await withServices(o, (s) => {
        const t = s.numbers.addTerminal(number, parseTerminalSpec(spec), cliActor(), scope(s, o));
        io.out(o.json ? json(terminalView(t)) : `terminal ${formatTerminal(t)} added`);
      });
    },
  );
  withJsonOption(tenantOption(terminal.command('list <number>').description("a direct line's terminals in ring order"), LOOKUP)).action(async (number: string, o: TenantOption) => {
    await withServices(o, (s) => {
      const ts = s.numbers.terminalsOf(number, scope(s, o));
      if (o.json) return io.out(json(ts.map(terminalView)));
      io.out(table(['id', 'order', 'terminal'], ts.map((t, i) => [t.id, i + 1, formatTerminal(t)])));
    });
  });
  withConfigOption(tenantOption(terminal.command('remove <number> <terminal>').description('remove a terminal: its id, or ext:<extension> / pstn:<number>'), LOOKUP)).action(
    async (number: string, which: string, o: TenantOption) => {
      await withServices(o, (s) => {
        const ref: number | TerminalSpec = /^[0-9]+$/.test(which) ? Number(which) : parseTerminalSpec(which);
        const t = s.numbers.removeTerminal(number, ref, cliActor(), scope(s, o));
        io.out(`terminal ${formatTerminal(t)} removed`);
      });
    },
  );

  return cmd;
}
