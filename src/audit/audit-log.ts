// The audit trail: one row per mutation, written by the services themselves so every entry
// point (CLI, API, config apply) is covered.
import type Database from 'better-sqlite3';
import type { PbxDb } from '../db/open.ts';

export interface AuditEntry {
  actor: string;
  action: string;
  target: string;
  tenantId?: number | null;
  detail?: unknown;
}

export interface AuditRecord {
  id: number;
  at: number;
  actor: string;
  action: string;
  target: string;
  tenantId: number | null;
  detail: unknown;
}

export class AuditLog {
  private readonly insert: Database.Statement;
  constructor(
    private readonly db: PbxDb,
    private readonly now: () => number = Date.now,
  ) {
    this.insert = db.sqlite.prepare('INSERT INTO audit_log (at, actor, action, target, tenant_id, detail) VALUES (?, ?, ?, ?, ?, ?)');
  }

  record(e: AuditEntry): void {
    this.insert.run(this.now(), e.actor, e.action, e.target, e.tenantId ?? null, e.detail === undefined ? null : JSON.stringify(e.detail));
  }

  /** Newest first; a tenant id restricts to that tenant's entries. */
  list(opts: { limit?: number; tenantId?: number } = {}): AuditRecord[] {
    const limit = Math.min(Math.max(opts.limit ?? 100, 1), 1000);
    const rows = (
      opts.tenantId === undefined
        ? this.db.sqlite.prepare('SELECT * FROM audit_log ORDER BY id DESC LIMIT ?').all(limit)
        : this.db.sqlite.prepare('SELECT * FROM audit_log WHERE tenant_id = ? ORDER BY id DESC LIMIT ?').all(opts.tenantId, limit)
    ) as Array<{ id: number; at: number; actor: string; action: string; target: string; tenant_id: number | null; detail: string | null }>;
    return rows.map((r) => ({
      id: r.id,
      at: r.at,
      actor: r.actor,
      action: r.action,
      target: r.target,
      tenantId: r.tenant_id,
      detail: r.detail === null ? null : JSON.parse(r.detail),
    }));
  }
}
