// Applying the tenants and extensions declared in the config file to the database at start:
// declared rows are created or brought in line and marked config_managed (the CLI and API then
// refuse to edit them); config-managed rows no longer declared are removed. One transaction.
// A declared tenant's settings (recording on/off, recording retention) come from the config too.
import type { PbxDb } from '../db/open.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { ConflictError } from '../errors.ts';
import { TenantService } from '../tenancy/tenant-service.ts';
import type { Config, ExtensionDecl } from './schema.ts';

export interface ApplyReport {
  tenants: { added: number; updated: number; removed: number; released: number };
  extensions: { added: number; updated: number; removed: number };
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

export function applyConfig(db: PbxDb, config: Config, audit: AuditLog, now: () => number = Date.now): ApplyReport {
  const s = db.sqlite;
  const tenants = new TenantService(db, audit, now);
  const report: ApplyReport = {
    tenants: { added: 0, updated: 0, removed: 0, released: 0 },
    extensions: { added: 0, updated: 0, removed: 0 },
    warnings: [],
  };
  const tenantByName = s.prepare<[string], TenantRow>('SELECT * FROM tenant WHERE name = ?');
  const tenantById = s.prepare<[number], TenantRow>('SELECT * FROM tenant WHERE id = ?');
  const tenantByDomain = s.prepare<[string], TenantRow>('SELECT * FROM tenant WHERE sip_domain = ?');
  const updateTenant = s.prepare(
    'UPDATE tenant SET name = ?, sip_domain = ?, recording_enabled = ?, recording_retention_days = ?, config_managed = 1 WHERE id = ?',
  );
  const insertTenant = s.prepare(
    `INSERT INTO tenant (name, sip_domain, recording_enabled, recording_retention_days, is_default, config_managed, created_at)
     VALUES (?, ?, ?, ?, 0, 1, ?)`,
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

  const run = s.transaction(() => {
    const def = tenants.ensureDefault();
    const declaredIds = new Set<number>();
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
      if (!row) {
        const id = Number(insertTenant.run(t.name, domain, recording, retention, now()).lastInsertRowid);
        row = tenantById.get(id)!;
        report.tenants.added++;
      } else if (
        row.name !== t.name ||
        row.sip_domain !== domain ||
        row.recording_enabled !== recording ||
        row.recording_retention_days !== retention ||
        row.config_managed !== 1
      ) {
        updateTenant.run(t.name, domain, recording, retention, row.id);
        report.tenants.updated++;
      }
      declaredIds.add(row.id);

      const declared = new Set<string>();
      for (const e of t.extensions) {
        declared.add(e.number);
        const v = extValues(e);
        const cur = extByNumber.get(row.id, e.number);
        if (!cur) {
          insertExt.run(row.id, e.number, v.display_name, v.sip_password, v.max_terminals, v.ring_strategy, v.ring_timeout_s, v.max_concurrent_calls, v.voicemail_enabled, now());
          report.extensions.added++;
        } else {
          const same = (Object.keys(v) as Array<keyof typeof v>).every((k) => cur[k] === v[k]) && cur.config_managed === 1;
          if (!same) {
            if (cur.config_managed !== 1) report.warnings.push(`extension ${e.number} of tenant ${t.name} existed in the database and is now managed by the config file`);
            updateExt.run(v.display_name, v.sip_password, v.max_terminals, v.ring_strategy, v.ring_timeout_s, v.max_concurrent_calls, v.voicemail_enabled, cur.id);
            report.extensions.updated++;
          }
        }
      }
      for (const m of managedExts.all(row.id)) {
        if (!declared.has(m.number)) {
          deleteExt.run(m.id);
          report.extensions.removed++;
        }
      }
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
      if (t.is_default === 1 || left > 0) {
        s.prepare('UPDATE tenant SET config_managed = 0 WHERE id = ?').run(t.id);
        report.tenants.released++;
        if (t.is_default !== 1) report.warnings.push(`tenant ${t.name} is no longer declared but still has ${left} extensions; kept as a database tenant`);
      } else {
        s.prepare('DELETE FROM tenant WHERE id = ?').run(t.id);
        report.tenants.removed++;
      }
    }
    const changed = report.tenants.added + report.tenants.updated + report.tenants.removed + report.tenants.released + report.extensions.added + report.extensions.updated + report.extensions.removed;
    if (changed > 0) audit.record({ actor: 'config', action: 'config.apply', target: 'config', detail: { tenants: report.tenants, extensions: report.extensions } });
  });
  run.immediate();
  return report;
}
