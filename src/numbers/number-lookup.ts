// What call routing needs to know about the tenant's numbers (DIDs) at call set-up: the number
// a carrier call is for, its blacklist, its direct-line terminals, and the main number outbound
// calls show. Prepared statements on indexed columns, so an edit from the CLI or API applies to
// the next call and a lookup costs the same at any size.
import type Database from 'better-sqlite3';
import type { PbxDb } from '../db/open.ts';

export type NumberMode = 'switchboard' | 'direct' | 'sipTrunk';
export type BlockAction = 'busy' | 'announcement' | 'drop';

export interface RoutableNumber {
  id: number;
  tenantId: number;
  /** E.164 with '+'. */
  number: string;
  mode: NumberMode;
  isMain: boolean;
  trunkId: number | undefined;
  maxCalls: number;
  greeting: string | undefined;
  blockAction: BlockAction;
  ringStrategy: 'sequential' | 'simultaneous';
  ringTimeoutS: number;
}

export interface BlacklistEntry {
  pattern: string;
  match: 'exact' | 'prefix';
}

/** A direct-line terminal: a device account's registrations, or a PSTN number. */
export type NumberTerminal = { kind: 'sip'; extensionId: number } | { kind: 'pstn'; number: string };

interface NumberRow {
  id: number;
  tenant_id: number;
  number: string;
  mode: NumberMode;
  is_main: number;
  trunk_id: number | null;
  max_calls: number;
  greeting: string | null;
  block_action: BlockAction;
  ring_strategy: 'sequential' | 'simultaneous';
  ring_timeout_s: number;
}

const COLUMNS = 'id, tenant_id, number, mode, is_main, trunk_id, max_calls, greeting, block_action, ring_strategy, ring_timeout_s';

export class NumberLookup {
  private readonly byNumberStmt: Database.Statement<[string], NumberRow>;
  private readonly byIdStmt: Database.Statement<[number], NumberRow>;
  private readonly mainStmt: Database.Statement<[number], NumberRow>;
  private readonly byTrunkStmt: Database.Statement<[number], NumberRow>;
  private readonly blacklistStmt: Database.Statement<[number], BlacklistEntry>;
  private readonly terminalsStmt: Database.Statement<[number], { kind: 'sip' | 'pstn'; pstn_number: string | null; device_extension_id: number | null }>;
  private readonly deviceStmt: Database.Statement<[number], NumberRow>;

  constructor(db: PbxDb) {
    const s = db.sqlite;
    this.byNumberStmt = s.prepare(`SELECT ${COLUMNS} FROM did_number WHERE number = ?`);
    this.byIdStmt = s.prepare(`SELECT ${COLUMNS} FROM did_number WHERE id = ?`);
    // the main number; a tenant that marked none shows its first switchboard number, then any
    this.mainStmt = s.prepare(`SELECT ${COLUMNS} FROM did_number WHERE tenant_id = ? ORDER BY is_main DESC, mode = 'switchboard' DESC, id LIMIT 1`);
    this.byTrunkStmt = s.prepare(`SELECT ${COLUMNS} FROM did_number WHERE trunk_id = ? AND mode = 'sipTrunk' ORDER BY id LIMIT 1`);
    this.blacklistStmt = s.prepare('SELECT pattern, match FROM number_block WHERE number_id = ?');
    this.terminalsStmt = s.prepare('SELECT kind, pstn_number, device_extension_id FROM terminal WHERE owner_number_id = ? ORDER BY position, id');
    this.deviceStmt = s.prepare(
      `SELECT ${COLUMNS.split(', ').map((c) => 'd.' + c).join(', ')} FROM terminal t JOIN did_number d ON d.id = t.owner_number_id WHERE t.device_extension_id = ? AND t.kind = 'sip' LIMIT 1`,
    );
  }

  /** The number with this E.164 form. */
  byNumber(e164: string): RoutableNumber | undefined {
    const r = this.byNumberStmt.get(e164);
    return r && toRoutable(r);
  }

  byId(id: number): RoutableNumber | undefined {
    const r = this.byIdStmt.get(id);
    return r && toRoutable(r);
  }

  /** What the tenant's outbound calls show. */
  mainOf(tenantId: number): RoutableNumber | undefined {
    const r = this.mainStmt.get(tenantId);
    return r && toRoutable(r);
  }

  /** The sipTrunk number a tenant PBX trunk serves (its calls out show it). */
  ofTrunk(trunkId: number): RoutableNumber | undefined {
    const r = this.byTrunkStmt.get(trunkId);
    return r && toRoutable(r);
  }

  blacklistOf(numberId: number): BlacklistEntry[] {
    return this.blacklistStmt.all(numberId);
  }

  terminalsOf(numberId: number): NumberTerminal[] {
    return this.terminalsStmt.all(numberId).flatMap((t): NumberTerminal[] => {
      if (t.kind === 'sip' && t.device_extension_id !== null) return [{ kind: 'sip', extensionId: t.device_extension_id }];
      if (t.kind === 'pstn' && t.pstn_number) return [{ kind: 'pstn', number: t.pstn_number }];
      return [];
    });
  }

  /** The direct-line number whose terminal this device account (extension) is. */
  directLineOf(extensionId: number): RoutableNumber | undefined {
    const r = this.deviceStmt.get(extensionId);
    return r && toRoutable(r);
  }
}

function toRoutable(r: NumberRow): RoutableNumber {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    number: r.number,
    mode: r.mode,
    isMain: r.is_main === 1,
    trunkId: r.trunk_id ?? undefined,
    maxCalls: r.max_calls,
    greeting: r.greeting ?? undefined,
    blockAction: r.block_action,
    ringStrategy: r.ring_strategy,
    ringTimeoutS: r.ring_timeout_s,
  };
}
