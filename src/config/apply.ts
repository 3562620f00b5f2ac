// Applying what the config file declares to the database at start: tenants (with their call
// settings), trunks, extensions (with their PSTN terminals and call rules) and numbers (with
// their blacklists and direct-line terminals). Declared rows are created or brought in line and
// marked config_managed (the CLI and API then refuse to edit them); config-managed rows no
// longer declared are removed. References are checked first, all problems in one ConfigError
// (an unknown trunk, a terminal extension not declared, two main numbers, a number declared
// twice); then everything is written in one transaction.
import type { PbxDb } from '../db/open.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { ConflictError, UserError } from '../errors.ts';
import { TenantService } from '../tenancy/tenant-service.ts';
import { tenantSettingsSchema } from '../tenancy/tenant-settings.ts';
import { TRUNK_COLUMNS, trunkValues, type TrunkDbRow } from '../trunks/trunk-service.ts';
import { normalizeDid, parseBlockEntry } from '../numbers/number-service.ts';
import { TerminalService, normalizePstn, type TerminalSpec } from '../directory/terminal-service.ts';
import { checkRule, type CallRuleInput } from '../directory/call-rule-service.ts';
import { messageTemplateProblems } from '../notify/message-template.ts';
import { ConfigError, formatPath, type ConfigProblem } from './load.ts';
import type { Config, ExtensionDecl, NumberDecl, TenantDecl } from './schema.ts';

export interface ApplyReport {
  tenants: { added: number; updated: number; removed: number; released: number };
  extensions: { added: number; updated: number; removed: number };
  trunks: { added: number; updated: number; removed: number };
  numbers: { added: number; updated: number; removed: number };
  warnings: string[];
}

interface TenantRow {
  id: number;
  name: string;
  sip_domain: string | null;
  is_default: number;
  config_managed: number;
  recording_enabled: number;
  recording_retention_days: number;
  settings: string;
}

interface ExtRow {
  id: number;
  display_name: string | null;
  sip_password: string;
  max_terminals: number;
  ring_strategy: string;
  ring_timeout_s: number;
  max_concurrent_calls: number;
  voicemail_enabled: number;
  config_managed: number;
}

interface NumRow {
  id: number;
  tenant_id: number;
  number: string;
  mode: string;
  is_main: number;
  trunk_id: number | null;
  max_calls: number;
  greeting: string | null;
  block_action: string;
  ring_strategy: string;
  ring_timeout_s: number;
  config_managed: number;
}

function extValues(e: ExtensionDecl) {
  return {
    display_name: e.name ?? null,
    sip_password: e.password,
    max_terminals: e.max_terminals,
    ring_strategy: e.ring_strategy,
    ring_timeout_s: e.ring_timeout_s,
    max_concurrent_calls: e.max_concurrent_calls,
    voicemail_enabled: e.voicemail ? 1 : 0,
  };
}

const SETTINGS_KEYS = Object.keys(tenantSettingsSchema.shape) as Array<keyof typeof tenantSettingsSchema.shape>;

/** The tenant's call settings as the config declares them (the JSON of tenant.settings). */
export function declaredSettings(t: TenantDecl): string {
  const out: Record<string, unknown> = {};
  for (const k of SETTINGS_KEYS) if (t[k] !== undefined) out[k] = t[k];
  return JSON.stringify(out);
}

/** What the checks work out once, for the writes: E.164 forms and parsed references. */
interface Resolved {
  numbers: Map<NumberDecl, { e164: string; blacklist: Array<{ pattern: string; match: 'exact' | 'prefix' }> }>;
  pstn: Map<ExtensionDecl, string[]>;
  rules: Map<ExtensionDecl, CallRuleInput[]>;
}

const homeOf = (t: TenantDecl) => ({ country_code: t.country_code, area_code: t.area_code });

/** The cross-references of the declarations, each problem with its key path. */
function checkReferences(config: Config): { problems: ConfigProblem[]; resolved: Resolved } {
  const problems: ConfigProblem[] = [];
  const add = (path: Array<string | number>, message: string) => problems.push({ path: formatPath(path), message });
  const resolved: Resolved = { numbers: new Map(), pstn: new Map(), rules: new Map() };
  const tenantNames = new Set(config.tenants.map((t) => t.name));
  const trunks = new Map<string, { kind: string; tenant: string | undefined; at: number }>();

  config.trunks.forEach((tr, i) => {
    const prev = trunks.get(tr.name);
    if (prev) add(['trunks', i, 'name'], `duplicate trunk name "${tr.name}" (also trunks[${prev.at}])`);
    else trunks.set(tr.name, { kind: tr.kind, tenant: tr.tenant, at: i });
    if (tr.kind === 'carrier' && tr.tenant !== undefined) add(['trunks', i, 'tenant'], 'a carrier trunk is shared by every tenant and has no tenant (gateway and pbx trunks have one)');
    if (tr.tenant !== undefined && !tenantNames.has(tr.tenant)) add(['trunks', i, 'tenant'], `unknown tenant "${tr.tenant}" (the tenant of a declared trunk is declared under tenants:)`);
  });

  const numberAt = new Map<string, string>();
  config.tenants.forEach((t, i) => {
    const home = homeOf(t);
    for (const p of messageTemplateProblems(t, { company: t.name, maxSegments: config.notify.sms.max_segments })) add(['tenants', i, ...p.path], p.message);
    t.outbound_trunks.forEach((name, k) => {
      const tr = trunks.get(name);
      if (!tr) add(['tenants', i, 'outbound_trunks', k], `unknown trunk "${name}" (declare it under trunks:)`);
      else if (tr.kind !== 'carrier') add(['tenants', i, 'outbound_trunks', k], `trunk "${name}" is a ${tr.kind} trunk; outbound calls go out through carrier trunks`);
    });
    const extNumbers = new Set(t.extensions.map((e) => e.number));

    t.extensions.forEach((e, k) => {
      const path = ['tenants', i, 'extensions', k];
      const pstn: string[] = [];
      e.pstn_terminals.forEach((p, j) => {
        try {
          const e164 = normalizePstn(p, home);
          if (pstn.includes(e164)) add([...path, 'pstn_terminals', j], `${e164} is listed twice`);
          else pstn.push(e164);
        } catch (err) {
          add([...path, 'pstn_terminals', j], (err as Error).message);
        }
      });
      if (e.pstn_terminals.length > e.max_terminals) add([...path, 'pstn_terminals'], `${e.pstn_terminals.length} PSTN terminals but max_terminals is ${e.max_terminals}`);
      resolved.pstn.set(e, pstn);
      const rules: CallRuleInput[] = [];
      const lists: Array<[keyof ExtensionDecl, CallRuleInput['scope'], CallRuleInput['action']]> = [
        ['outbound_allow', 'outbound', 'allow'],
        ['outbound_deny', 'outbound', 'deny'],
        ['callers_allow', 'inbound', 'allow'],
        ['callers_deny', 'inbound', 'deny'],
      ];
      for (const [key, scope, action] of lists) {
        (e[key] as string[]).forEach((pattern, j) => {
          try {
            const r = checkRule({ scope, action, pattern });
            if (!rules.some((x) => x.scope === r.scope && x.action === r.action && x.pattern === r.pattern)) rules.push(r);
          } catch (err) {
            add([...path, key, j], (err as Error).message);
          }
        });
      }
      resolved.rules.set(e, rules);
    });

    let mainAt: number | undefined;
    t.numbers.forEach((n, k) => {
      const path = ['tenants', i, 'numbers', k];
      let e164: string;
      try {
        e164 = normalizeDid(n.number, home);
      } catch (err) {
        add([...path, 'number'], (err as Error).message);
        return;
      }
      const where = formatPath(path);
      const seen = numberAt.get(e164);
      if (seen) add([...path, 'number'], `number ${e164} is declared twice (also ${seen})`);
      else numberAt.set(e164, where);
      if (n.main) {
        if (mainAt !== undefined) add([...path, 'main'], `tenant "${t.name}" has two main numbers (also tenants[${i}].numbers[${mainAt}]); one is the main number`);
        else mainAt = k;
      }
      if (n.trunk !== undefined) {
        const tr = trunks.get(n.trunk);
        if (n.mode !== 'sipTrunk') add([...path, 'trunk'], 'only sipTrunk numbers have a trunk');
        else if (!tr) add([...path, 'trunk'], `unknown trunk "${n.trunk}" (declare it under trunks:)`);
        else if (tr.kind !== 'pbx' || tr.tenant !== t.name) add([...path, 'trunk'], `trunk "${n.trunk}" is not a pbx trunk of tenant "${t.name}"; a sipTrunk number goes to its own tenant's PBX`);
      }
      n.terminals.forEach((term: TerminalSpec, j) => {
        if ('extension' in term) {
          if (!extNumbers.has(term.extension)) add([...path, 'terminals', j, 'extension'], `extension ${term.extension} is not declared in tenant "${t.name}" (a direct line's SIP terminal is one of its extensions)`);
        } else {
          try {
            normalizePstn(term.pstn, home);
          } catch (err) {
            add([...path, 'terminals', j, 'pstn'], (err as Error).message);
          }
        }
      });
      const blacklist: Array<{ pattern: string; match: 'exact' | 'prefix' }> = [];
      n.blacklist.forEach((entry, j) => {
        try {
          const b = parseBlockEntry(entry, home);
          if (!blacklist.some((x) => x.pattern === b.pattern && x.match === b.match)) blacklist.push(b);
        } catch (err) {
          add([...path, 'blacklist', j], (err as Error).message);
        }
      });
      resolved.numbers.set(n, { e164, blacklist });
    });
  });
  return { problems, resolved };
}

export function applyConfig(db: PbxDb, config: Config, audit: AuditLog, now: () => number = Date.now): ApplyReport {
  const { problems, resolved } = checkReferences(config);
  if (problems.length > 0) throw new ConfigError('config', problems);

  const s = db.sqlite;
  const tenants = new TenantService(db, audit, now, config.notify.sms.max_segments);
  const terminals = new TerminalService(db, audit, now);
  const report: ApplyReport = {
    tenants: { added: 0, updated: 0, removed: 0, released: 0 },
    extensions: { added: 0, updated: 0, removed: 0 },
    trunks: { added: 0, updated: 0, removed: 0 },
    numbers: { added: 0, updated: 0, removed: 0 },
    warnings: [],
  };
  const tenantByName = s.prepare<[string], TenantRow>('SELECT * FROM tenant WHERE name = ?');
  const tenantById = s.prepare<[number], TenantRow>('SELECT * FROM tenant WHERE id = ?');
  const tenantByDomain = s.prepare<[string], TenantRow>('SELECT * FROM tenant WHERE sip_domain = ?');
  const updateTenant = s.prepare(
    'UPDATE tenant SET name = ?, sip_domain = ?, recording_enabled = ?, recording_retention_days = ?, settings = ?, config_managed = 1 WHERE id = ?',
  );
  const insertTenant = s.prepare(
    `INSERT INTO tenant (name, sip_domain, recording_enabled, recording_retention_days, settings, is_default, config_managed, created_at)
     VALUES (?, ?, ?, ?, ?, 0, 1, ?)`,
  );
  const extByNumber = s.prepare<[number, string], ExtRow>('SELECT * FROM extension WHERE tenant_id = ? AND number = ?');
  const insertExt = s.prepare(
    `INSERT INTO extension (tenant_id, number, display_name, sip_password, max_terminals, ring_strategy, ring_timeout_s,
       max_concurrent_calls, voicemail_enabled, config_managed, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)`,
  );
  const updateExt = s.prepare(
    `UPDATE extension SET display_name = ?, sip_password = ?, max_terminals = ?, ring_strategy = ?, ring_timeout_s = ?,
       max_concurrent_calls = ?, voicemail_enabled = ?, config_managed = 1 WHERE id = ?`,
  );
  const managedExts = s.prepare<[number], { id: number; number: string }>('SELECT id, number FROM extension WHERE tenant_id = ? AND config_managed = 1');
  const deleteExt = s.prepare('DELETE FROM extension WHERE id = ?');
  const pstnOf = s.prepare<[number], string>("SELECT pstn_number FROM terminal WHERE owner_extension_id = ? AND kind = 'pstn' ORDER BY position, id").pluck();
  const rulesOf = s.prepare<[number], CallRuleInput>('SELECT scope, action, pattern FROM extension_call_rule WHERE extension_id = ? ORDER BY id');
  const trunkByName = s.prepare<[string], TrunkDbRow>('SELECT * FROM trunk WHERE name = ?');
  const numberByE164 = s.prepare<[string], NumRow>('SELECT * FROM did_number WHERE number = ?');
  const blocksOf = s.prepare<[number], { pattern: string; match: 'exact' | 'prefix' }>('SELECT pattern, match FROM number_block WHERE number_id = ? ORDER BY id');

  /** Brings an extension's PSTN terminals and rules in line; true when something changed. */
  const syncExtensionExtras = (tenantId: number, extId: number, e: ExtensionDecl): boolean => {
    let changed = false;
    const pstn = resolved.pstn.get(e)!;
    if (JSON.stringify(pstnOf.all(extId)) !== JSON.stringify(pstn)) {
      s.prepare('DELETE FROM terminal WHERE owner_extension_id = ?').run(extId);
      const ins = s.prepare("INSERT INTO terminal (tenant_id, owner_extension_id, kind, pstn_number, position, created_at) VALUES (?, ?, 'pstn', ?, ?, ?)");
      pstn.forEach((p, i) => ins.run(tenantId, extId, p, i, now()));
      changed = true;
    }
    const rules = resolved.rules.get(e)!;
    const key = (r: CallRuleInput) => `${r.scope} ${r.action} ${r.pattern}`;
    if (JSON.stringify(rulesOf.all(extId).map(key).sort()) !== JSON.stringify(rules.map(key).sort())) {
      s.prepare('DELETE FROM extension_call_rule WHERE extension_id = ?').run(extId);
      const ins = s.prepare('INSERT INTO extension_call_rule (tenant_id, extension_id, scope, action, pattern, created_at) VALUES (?, ?, ?, ?, ?, ?)');
      for (const r of rules) ins.run(tenantId, extId, r.scope, r.action, r.pattern, now());
      changed = true;
    }
    const pin = e.voicemail_pin ?? null;
    if (s.prepare('SELECT voicemail_pin FROM extension WHERE id = ?').pluck().get(extId) !== pin) {
      s.prepare('UPDATE extension SET voicemail_pin = ? WHERE id = ?').run(pin, extId);
      changed = true;
    }
    return changed;
  };

  const run = s.transaction(() => {
    const def = tenants.ensureDefault();
    const declaredIds = new Set<number>();
    const tenantIds = new Map<string, number>();
    for (const t of config.tenants) {
      const domain = t.domain ?? null;
      let row: TenantRow | undefined;
      if (t.default) {
        row = tenantById.get(def.id)!;
        const clash = tenantByName.get(t.name);
        if (clash && clash.id !== row.id) throw new ConflictError(`config: the default tenant is named "${t.name}" but another tenant already has that name`);
      } else {
        row = tenantByName.get(t.name);
        if (row && row.is_default === 1)
          throw new ConflictError(`config: tenant "${t.name}" is the default tenant in the database; declare it with "default: true"`);
      }
      if (domain !== null) {
        const owner = tenantByDomain.get(domain);
        if (owner && owner.id !== row?.id) throw new ConflictError(`config: SIP domain ${domain} of tenant "${t.name}" already belongs to tenant "${owner.name}"`);
      }
      const recording = t.recording ? 1 : 0;
      const retention = t.recording_retention_days;
      const settings = declaredSettings(t);
      if (!row) {
        const id = Number(insertTenant.run(t.name, domain, recording, retention, settings, now()).lastInsertRowid);
        row = tenantById.get(id)!;
        report.tenants.added++;
      } else if (
        row.name !== t.name ||
        row.sip_domain !== domain ||
        row.recording_enabled !== recording ||
        row.recording_retention_days !== retention ||
        row.settings !== settings ||
        row.config_managed !== 1
      ) {
        updateTenant.run(t.name, domain, recording, retention, settings, row.id);
        report.tenants.updated++;
      }
      declaredIds.add(row.id);
      tenantIds.set(t.name, row.id);

      const declared = new Set<string>();
      for (const e of t.extensions) {
        declared.add(e.number);
        const v = extValues(e);
        const cur = extByNumber.get(row.id, e.number);
        if (!cur) {
          const id = Number(
            insertExt.run(row.id, e.number, v.display_name, v.sip_password, v.max_terminals, v.ring_strategy, v.ring_timeout_s, v.max_concurrent_calls, v.voicemail_enabled, now()).lastInsertRowid,
          );
          syncExtensionExtras(row.id, id, e);
          report.extensions.added++;
        } else {
          const same = (Object.keys(v) as Array<keyof typeof v>).every((k) => cur[k] === v[k]) && cur.config_managed === 1;
          if (!same) {
            if (cur.config_managed !== 1) report.warnings.push(`extension ${e.number} of tenant ${t.name} existed in the database and is now managed by the config file`);
            updateExt.run(v.display_name, v.sip_password, v.max_terminals, v.ring_strategy, v.ring_timeout_s, v.max_concurrent_calls, v.voicemail_enabled, cur.id);
          }
          if (syncExtensionExtras(row.id, cur.id, e) || !same) report.extensions.updated++;
        }
      }
      for (const m of managedExts.all(row.id)) {
        if (!declared.has(m.number)) {
          deleteExt.run(m.id);
          report.extensions.removed++;
        }
      }
      if (t.operator !== undefined && !extByNumber.get(row.id, t.operator))
        report.warnings.push(`the operator ${t.operator} of tenant ${t.name} is not an extension of the tenant; switchboard calls cannot reach an operator`);
    }

    // Trunks, after the tenants that own them.
    const declaredTrunks = new Set<string>();
    const trunkIds = new Map<string, number>();
    for (const tr of config.trunks) {
      declaredTrunks.add(tr.name);
      const v = trunkValues(tr, tr.tenant === undefined ? null : tenantIds.get(tr.tenant)!);
      const cur = trunkByName.get(tr.name);
      if (!cur) {
        const cols = [...TRUNK_COLUMNS, 'config_managed', 'created_at'];
        const id = s.prepare(`INSERT INTO trunk (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`).run(...TRUNK_COLUMNS.map((c) => v[c]), 1, now()).lastInsertRowid;
        trunkIds.set(tr.name, Number(id));
        report.trunks.added++;
        continue;
      }
      trunkIds.set(tr.name, cur.id);
      if (TRUNK_COLUMNS.every((c) => cur[c] === v[c]) && cur.config_managed === 1) continue;
      if (cur.config_managed !== 1) report.warnings.push(`trunk ${tr.name} existed in the database and is now managed by the config file`);
      s.prepare(`UPDATE trunk SET ${TRUNK_COLUMNS.map((c) => `${c} = ?`).join(', ')}, config_managed = 1 WHERE id = ?`).run(...TRUNK_COLUMNS.map((c) => v[c]), cur.id);
      report.trunks.updated++;
    }

    // Numbers, after the trunks and extensions they name.
    const declaredNumbers = new Set<string>();
    for (const t of config.tenants) {
      const tenantId = tenantIds.get(t.name)!;
      for (const n of t.numbers) {
        const { e164, blacklist } = resolved.numbers.get(n)!;
        declaredNumbers.add(e164);
        const v = {
          tenant_id: tenantId,
          mode: n.mode,
          is_main: n.main ? 1 : 0,
          trunk_id: n.trunk === undefined ? null : trunkIds.get(n.trunk)!,
          max_calls: n.max_calls,
          greeting: n.greeting ?? null,
          block_action: n.block_action,
          ring_strategy: n.ring_strategy,
          ring_timeout_s: n.ring_timeout_s,
        };
        const cols = Object.keys(v) as Array<keyof typeof v>;
        let cur = numberByE164.get(e164);
        let changed = false;
        if (cur && cur.tenant_id !== tenantId && cur.config_managed !== 1) {
          const owner = tenantById.get(cur.tenant_id)!;
          throw new ConflictError(`config: number ${e164} of tenant "${t.name}" already belongs to tenant "${owner.name}" in the database; remove it there first`);
        }
        if (cur && cur.tenant_id !== tenantId) {
          // declared by another tenant before: it moves, its lists are written again below
          s.prepare('DELETE FROM number_block WHERE number_id = ?').run(cur.id);
          s.prepare('DELETE FROM terminal WHERE owner_number_id = ?').run(cur.id);
        }
        const isNew = cur === undefined;
        if (!cur) {
          s.prepare(`INSERT INTO did_number (number, ${cols.join(', ')}, config_managed, created_at) VALUES (?, ${cols.map(() => '?').join(', ')}, 1, ?)`).run(e164, ...cols.map((c) => v[c]), now());
          cur = numberByE164.get(e164)!;
          report.numbers.added++;
        } else if (!cols.every((c) => cur![c] === v[c]) || cur.config_managed !== 1) {
          if (cur.config_managed !== 1) report.warnings.push(`number ${e164} of tenant ${t.name} existed in the database and is now managed by the config file`);
          s.prepare(`UPDATE did_number SET ${cols.map((c) => `${c} = ?`).join(', ')}, config_managed = 1 WHERE id = ?`).run(...cols.map((c) => v[c]), cur.id);
          changed = true;
        }
        if (n.main) {
          const others = s.prepare('UPDATE did_number SET is_main = 0 WHERE tenant_id = ? AND id <> ? AND is_main = 1').run(tenantId, cur.id).changes;
          if (others > 0) report.warnings.push(`number ${e164} is the main number of tenant ${t.name} now; the main number in the database is not main any more`);
        }
        const haveBlocks = blocksOf.all(cur.id).map((b) => `${b.match} ${b.pattern}`).sort();
        if (JSON.stringify(haveBlocks) !== JSON.stringify(blacklist.map((b) => `${b.match} ${b.pattern}`).sort())) {
          s.prepare('DELETE FROM number_block WHERE number_id = ?').run(cur.id);
          const ins = s.prepare('INSERT INTO number_block (tenant_id, number_id, pattern, match, created_at) VALUES (?, ?, ?, ?, ?)');
          for (const b of blacklist) ins.run(tenantId, cur.id, b.pattern, b.match, now());
          changed = true;
        }
        const have = terminals.listForNumber(cur.id).map((x) => (x.kind === 'sip' ? `ext:${x.extension}` : `pstn:${x.pstnNumber}`));
        const want = n.terminals.map((x) => ('extension' in x ? `ext:${x.extension}` : `pstn:${normalizePstn(x.pstn, homeOf(t))}`));
        if (JSON.stringify(have) !== JSON.stringify(want)) {
          terminals.replaceForNumber(cur.id, n.terminals);
          changed = true;
        }
        if (changed && !isNew) report.numbers.updated++; // once per number, whatever changed
      }
    }
    for (const m of s.prepare<[], { id: number; number: string }>('SELECT id, number FROM did_number WHERE config_managed = 1').all()) {
      if (declaredNumbers.has(m.number)) continue;
      s.prepare('DELETE FROM did_number WHERE id = ?').run(m.id);
      report.numbers.removed++;
    }
    for (const m of s.prepare<[], { id: number; name: string }>('SELECT id, name FROM trunk WHERE config_managed = 1').all()) {
      if (declaredTrunks.has(m.name)) continue;
      const users = s.prepare<[number], string>('SELECT number FROM did_number WHERE trunk_id = ?').pluck().all(m.id);
      if (users.length > 0) report.warnings.push(`trunk ${m.name} is no longer declared; number${users.length > 1 ? 's' : ''} ${users.join(', ')} in the database lost ${users.length > 1 ? 'their' : 'its'} trunk`);
      s.prepare('DELETE FROM trunk WHERE id = ?').run(m.id);
      report.trunks.removed++;
    }

    // Tenants once declared and now gone: their config-managed extensions go; the tenant goes
    // too when nothing else is left in it, else it stays as an ordinary (database) tenant.
    const formerly = s.prepare('SELECT * FROM tenant').all() as TenantRow[];
    for (const t of formerly) {
      if (declaredIds.has(t.id)) continue;
      for (const m of managedExts.all(t.id)) {
        deleteExt.run(m.id);
        report.extensions.removed++;
      }
      if (t.config_managed !== 1) continue;
      const left = s.prepare('SELECT count(*) FROM extension WHERE tenant_id = ?').pluck().get(t.id) as number;
      const leftOther = s.prepare('SELECT (SELECT count(*) FROM did_number WHERE tenant_id = ?) + (SELECT count(*) FROM trunk WHERE tenant_id = ?)').pluck().get(t.id, t.id) as number;
      if (t.is_default === 1 || left > 0 || leftOther > 0) {
        s.prepare('UPDATE tenant SET config_managed = 0 WHERE id = ?').run(t.id);
        report.tenants.released++;
        if (t.is_default !== 1)
          report.warnings.push(
            left > 0
              ? `tenant ${t.name} is no longer declared but still has ${left} extensions; kept as a database tenant`
              : `tenant ${t.name} is no longer declared but still has numbers or trunks in the database; kept as a database tenant`,
          );
      } else {
        s.prepare('DELETE FROM tenant WHERE id = ?').run(t.id);
        report.tenants.removed++;
      }
    }
    const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
    const changed = sum(report.tenants) + sum(report.extensions) + sum(report.trunks) + sum(report.numbers);
    if (changed > 0)
      audit.record({ actor: 'config', action: 'config.apply', target: 'config', detail: { tenants: report.tenants, extensions: report.extensions, trunks: report.trunks, numbers: report.numbers } });
  });
  try {
    run.immediate();
  } catch (e) {
    // a rule checked by a service (an extension that is not there yet) names the config as its source
    if (e instanceof UserError && !(e instanceof ConflictError)) throw new ConfigError('config', [{ path: '', message: e.message }]);
    throw e;
  }
  return report;
}
