// What call routing needs to know about an extension, by number within a tenant or by id:
// one prepared statement on the (tenant_id, number) unique index per call set-up, so a
// change made by the CLI or API applies to the next call (R-SW-5 ring settings).
import type Database from 'better-sqlite3';
import type { PbxDb } from '../db/open.ts';

export interface DialableExtension {
  id: number;
  tenantId: number;
  number: string;
  name: string | undefined;
  ringStrategy: 'sequential' | 'simultaneous';
  ringTimeoutS: number;
  maxConcurrentCalls: number;
  voicemailEnabled: boolean;
  /** Digits to listen by phone; undefined = no PIN set. */
  voicemailPin: string | undefined;
  /** The box's own greeting (WAV), or undefined for the default prompt. */
  voicemailGreeting: string | undefined;
}

interface Row {
  id: number;
  tenant_id: number;
  number: string;
  display_name: string | null;
  ring_strategy: 'sequential' | 'simultaneous';
  ring_timeout_s: number;
  max_concurrent_calls: number;
  voicemail_enabled: number;
  voicemail_pin: string | null;
  voicemail_greeting: string | null;
}

const COLUMNS = 'id, tenant_id, number, display_name, ring_strategy, ring_timeout_s, max_concurrent_calls, voicemail_enabled, voicemail_pin, voicemail_greeting';

export class ExtensionLookup {
  private readonly byNumberStmt: Database.Statement<[number, string], Row>;
  private readonly byIdStmt: Database.Statement<[number], Row>;

  constructor(db: PbxDb) {
    this.byNumberStmt = db.sqlite.prepare(`SELECT ${COLUMNS} FROM extension WHERE tenant_id = ? AND number = ?`);
    this.byIdStmt = db.sqlite.prepare(`SELECT ${COLUMNS} FROM extension WHERE id = ?`);
  }

  byNumber(tenantId: number, number: string): DialableExtension | undefined {
    const r = this.byNumberStmt.get(tenantId, number);
    return r && toDialable(r);
  }

  byId(id: number): DialableExtension | undefined {
    const r = this.byIdStmt.get(id);
    return r && toDialable(r);
  }
}

function toDialable(r: Row): DialableExtension {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    number: r.number,
    name: r.display_name ?? undefined,
    ringStrategy: r.ring_strategy,
    ringTimeoutS: r.ring_timeout_s,
    maxConcurrentCalls: r.max_concurrent_calls,
    voicemailEnabled: r.voicemail_enabled === 1,
    voicemailPin: r.voicemail_pin ?? undefined,
    voicemailGreeting: r.voicemail_greeting ?? undefined,
  };
}
