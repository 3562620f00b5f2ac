// Persistence of blocked sources (BlockStore), plus the admin side: list the active blocks and
// clear one or all (CLI `block list|clear`, API /blocked-sources).
import type Database from 'better-sqlite3';
import type { PbxDb } from '../db/open.ts';
import type { BlockedSource, BlockStore } from '../sip/registrar/ports.ts';
import type { AuditLog } from '../audit/audit-log.ts';

interface Row {
  address: string;
  blocked_at: number;
  until: number;
  failures: number;
  reason: string;
}

const toBlock = (r: Row): BlockedSource => ({ address: r.address, blockedAt: r.blocked_at, until: r.until, failures: r.failures, reason: r.reason });

export class SqliteBlockStore implements BlockStore {
  private readonly allStmt: Database.Statement<[], Row>;
  private readonly activeStmt: Database.Statement<[number], Row>;
  private readonly upsertStmt: Database.Statement;
  private readonly removeStmt: Database.Statement<[string]>;
  private readonly clearStmt: Database.Statement<[]>;

  constructor(
    db: PbxDb,
    private readonly now: () => number = Date.now,
  ) {
    const s = db.sqlite;
    this.allStmt = s.prepare('SELECT * FROM blocked_source ORDER BY blocked_at');
    this.activeStmt = s.prepare('SELECT * FROM blocked_source WHERE until > ? ORDER BY blocked_at');
    this.upsertStmt = s.prepare(
      `INSERT INTO blocked_source (address, blocked_at, until, failures, reason) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (address) DO UPDATE SET blocked_at = excluded.blocked_at, until = excluded.until,
         failures = excluded.failures, reason = excluded.reason`,
    );
    this.removeStmt = s.prepare('DELETE FROM blocked_source WHERE address = ?');
    this.clearStmt = s.prepare('DELETE FROM blocked_source');
  }

  loadAll(): BlockedSource[] {
    return this.allStmt.all().map(toBlock);
  }

  upsert(b: BlockedSource): void {
    this.upsertStmt.run(b.address, b.blockedAt, b.until, b.failures, b.reason);
  }

  remove(address: string): void {
    this.removeStmt.run(address);
  }

  /** Blocks still in force. */
  listActive(): BlockedSource[] {
    return this.activeStmt.all(this.now()).map(toBlock);
  }

  /** Removes one address's block (or every block); returns how many rows went. */
  clear(address?: string): number {
    return address === undefined ? this.clearStmt.run().changes : this.removeStmt.run(address).changes;
  }
}

/**
 * The admin operations on blocks, audited. The server can wrap `clear` to also forget the block
 * in the guard's in-memory index (a CLI clear from another process reaches a running server
 * through the database; see db/change-watch.ts).
 */
export class BlockAdmin {
  constructor(
    private readonly store: SqliteBlockStore,
    private readonly audit: AuditLog,
  ) {}

  list(): BlockedSource[] {
    return this.store.listActive();
  }

  clear(address?: string, actor = 'system'): number {
    const n = this.store.clear(address);
    this.audit.record({ actor, action: 'block.clear', target: address ?? '*', detail: { removed: n } });
    return n;
  }
}
