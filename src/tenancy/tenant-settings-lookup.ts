// A tenant's settings as call set-up reads them: parsed from the JSON column once and kept a
// second (an edit applies within a second; a call set-up does not parse JSON).
import type Database from 'better-sqlite3';
import type { PbxDb } from '../db/open.ts';
import { parseTenantSettings, type TenantSettings } from './tenant-settings.ts';

const TTL_MS = 1000;

export class TenantSettingsLookup {
  private readonly stmt: Database.Statement<[number], { settings: string }>;
  private readonly cache = new Map<number, { settings: TenantSettings; until: number }>();

  constructor(
    db: PbxDb,
    private readonly now: () => number = Date.now,
  ) {
    this.stmt = db.sqlite.prepare('SELECT settings FROM tenant WHERE id = ?');
  }

  of(tenantId: number): TenantSettings {
    const now = this.now();
    const hit = this.cache.get(tenantId);
    if (hit !== undefined && hit.until > now) return hit.settings;
    const settings = parseTenantSettings(this.stmt.get(tenantId)?.settings);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(tenantId, { settings, until: now + TTL_MS });
    return settings;
  }
}
