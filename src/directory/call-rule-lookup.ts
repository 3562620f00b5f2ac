// The extension rules call routing checks (outbound prefixes; which extensions may call it)
// and the PSTN numbers an extension rings besides its phones. Indexed by extension.
import type Database from 'better-sqlite3';
import type { PbxDb } from '../db/open.ts';

export interface CallRules {
  allow: string[];
  deny: string[];
}

export class ExtensionRulesLookup {
  private readonly rulesStmt: Database.Statement<[number, string], { action: 'allow' | 'deny'; pattern: string }>;
  private readonly pstnStmt: Database.Statement<[number], { pstn_number: string }>;

  constructor(db: PbxDb) {
    this.rulesStmt = db.sqlite.prepare('SELECT action, pattern FROM extension_call_rule WHERE extension_id = ? AND scope = ?');
    this.pstnStmt = db.sqlite.prepare("SELECT pstn_number FROM terminal WHERE owner_extension_id = ? AND kind = 'pstn' AND pstn_number IS NOT NULL ORDER BY position, id");
  }

  rules(extensionId: number, scope: 'outbound' | 'inbound'): CallRules {
    const out: CallRules = { allow: [], deny: [] };
    for (const r of this.rulesStmt.all(extensionId, scope)) out[r.action].push(r.pattern);
    return out;
  }

  /** PSTN terminals of an extension (an employee's mobile), in ring order. */
  pstnTerminals(extensionId: number): string[] {
    return this.pstnStmt.all(extensionId).map((r) => r.pstn_number);
  }
}
