// Persistence of registrar bindings (BindingStore): thousands of changes per second, so
// statements are prepared once and writes are group-committed: the changes made while
// handling one turn of the event loop are committed together in one transaction right after
// it (a commit per REGISTER cost more than the rest of the REGISTER), and `afterCommit`
// callbacks — the registrar's 200s — run after that commit. Also the read side for
// `reg list` and the API; reads flush first.
import type Database from 'better-sqlite3';
import type { PbxDb } from '../db/open.ts';
import type { Binding, BindingStore } from '../sip/registrar/ports.ts';
import type { TransportKind } from '../sip/message.ts';
import { log } from '../log.ts';

interface Row {
  tenant_id: number;
  extension_id: number;
  number: string;
  contact: string;
  call_id: string;
  cseq: number;
  expires_at: number;
  registered_at: number;
  source_transport: string;
  source_address: string;
  source_port: number;
  natted: number;
  user_agent: string | null;
}

/** A binding as listed to admins, with the tenant's name. */
export interface RegistrationView extends Binding {
  tenantName: string;
}

function toBinding(r: Row): Binding {
  return {
    tenantId: r.tenant_id,
    extensionId: r.extension_id,
    user: r.number,
    contact: r.contact,
    callId: r.call_id,
    cseq: r.cseq,
    expiresAt: r.expires_at,
    registeredAt: r.registered_at,
    source: { transport: r.source_transport as TransportKind, address: r.source_address, port: r.source_port },
    natted: r.natted === 1,
    ...(r.user_agent !== null ? { userAgent: r.user_agent } : {}),
  };
}

type PendingWrite = { kind: 'upsert'; binding: Binding } | { kind: 'remove'; extensionId: number; contact: string };

const SELECT = `SELECT r.*, e.number AS number, t.name AS tenant_name FROM registration r
  JOIN extension e ON e.id = r.extension_id JOIN tenant t ON t.id = r.tenant_id`;

export class SqliteBindingStore implements BindingStore {
  private readonly upsertStmt: Database.Statement;
  private readonly removeStmt: Database.Statement<[number, string]>;
  private readonly allStmt: Database.Statement<[], Row>;
  private readonly liveStmt: Database.Statement<[number], Row & { tenant_name: string }>;
  private readonly liveTenantStmt: Database.Statement<[number, number], Row & { tenant_name: string }>;
  private readonly purgeStmt: Database.Statement<[number]>;
  private readonly applyBatch: (ops: PendingWrite[]) => void;
  private pending: PendingWrite[] = [];
  private committed: Array<() => void> = [];
  private flushScheduled = false;

  constructor(
    db: PbxDb,
    private readonly now: () => number = Date.now,
    private readonly onError: (err: Error) => void = (err) => log.error({ err }, 'saving registrations failed'),
  ) {
    const s = db.sqlite;
    this.upsertStmt = s.prepare(
      `INSERT INTO registration (tenant_id, extension_id, contact, call_id, cseq, expires_at, registered_at,
         source_transport, source_address, source_port, natted, user_agent)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (extension_id, contact) DO UPDATE SET call_id = excluded.call_id, cseq = excluded.cseq,
         expires_at = excluded.expires_at, registered_at = excluded.registered_at, source_transport = excluded.source_transport,
         source_address = excluded.source_address, source_port = excluded.source_port, natted = excluded.natted,
         user_agent = excluded.user_agent`,
    );
    this.removeStmt = s.prepare('DELETE FROM registration WHERE extension_id = ? AND contact = ?');
    this.allStmt = s.prepare(`${SELECT} ORDER BY r.id`);
    this.liveStmt = s.prepare(`${SELECT} WHERE r.expires_at > ? ORDER BY t.name, e.number, r.contact`);
    this.liveTenantStmt = s.prepare(`${SELECT} WHERE r.tenant_id = ? AND r.expires_at > ? ORDER BY e.number, r.contact`);
    this.purgeStmt = s.prepare('DELETE FROM registration WHERE expires_at <= ?');
    this.applyBatch = s.transaction((ops: PendingWrite[]) => {
      for (const op of ops) {
        try {
          if (op.kind === 'upsert') this.write(op.binding);
          else this.removeStmt.run(op.extensionId, op.contact);
        } catch (err) {
          // The extension was removed (by the CLI or API) since the change was queued: its
          // bindings are gone with it. Only that one statement is rolled back.
          if ((err as { code?: string }).code !== 'SQLITE_CONSTRAINT_FOREIGNKEY') throw err;
        }
      }
    });
  }

  /** Commits every queued change now (before reads, and on shutdown), then runs the afterCommit callbacks. */
  flush(): void {
    const ops = this.pending;
    const callbacks = this.committed;
    this.pending = [];
    this.committed = [];
    try {
      if (ops.length > 0) this.applyBatch(ops);
    } finally {
      // Even after a failed commit the callers are answered: the registrar's memory holds the
      // binding and serves calls; the failure is logged by the caller of flush.
      for (const fn of callbacks) {
        try {
          fn();
        } catch (err) {
          this.onError(err as Error);
        }
      }
    }
  }

  afterCommit(fn: () => void): void {
    if (this.pending.length === 0) return fn();
    this.committed.push(fn);
  }

  private enqueue(op: PendingWrite): void {
    this.pending.push(op);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      try {
        this.flush();
      } catch (err) {
        // Never thrown into the event loop; the registrar's memory stays the authority.
        this.onError(err as Error);
      }
    });
  }

  /** Every stored binding, expired ones included (the registrar drops those on load). */
  loadAll(): Binding[] {
    this.flush();
    return this.allStmt.all().map(toBinding);
  }

  upsert(binding: Binding): void {
    this.enqueue({ kind: 'upsert', binding });
  }

  remove(extensionId: number, contact: string): void {
    this.enqueue({ kind: 'remove', extensionId, contact });
  }

  private write(b: Binding): void {
    this.upsertStmt.run(
      b.tenantId,
      b.extensionId,
      b.contact,
      b.callId,
      b.cseq,
      b.expiresAt,
      b.registeredAt,
      b.source.transport,
      b.source.address,
      b.source.port,
      b.natted ? 1 : 0,
      b.userAgent ?? null,
    );
  }

  /** Unexpired bindings, optionally of one tenant only. */
  listLive(tenantId?: number): RegistrationView[] {
    this.flush();
    const now = this.now();
    const rows = tenantId === undefined ? this.liveStmt.all(now) : this.liveTenantStmt.all(tenantId, now);
    return rows.map((r) => ({ ...toBinding(r), tenantName: r.tenant_name }));
  }

  /** Deletes expired rows; returns how many. */
  purgeExpired(): number {
    this.flush();
    return this.purgeStmt.run(this.now()).changes;
  }
}
