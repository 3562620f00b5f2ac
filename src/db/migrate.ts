// Applying the migrations in migrations/ (written by `drizzle-kit generate`) at every start.
// Bookkeeping is drizzle's own table (__drizzle_migrations, same rows as its migrator writes),
// but the check and the apply happen inside one BEGIN IMMEDIATE transaction: drizzle's
// migrator reads the last applied migration before taking the write lock, so a CLI command and
// the server starting together could both apply the same migration. Here the second one waits
// on busy_timeout and then finds nothing left to do.
import { fileURLToPath } from 'node:url';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import type { PbxDb } from './open.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations', import.meta.url));
const TABLE = '__drizzle_migrations';

export interface MigrateResult {
  applied: number; // migrations applied by this call
  total: number; // migrations known
}

export function migrate(db: PbxDb, migrationsFolder: string = MIGRATIONS_DIR): MigrateResult {
  const migrations = readMigrationFiles({ migrationsFolder });
  const { sqlite } = db;
  sqlite.exec(`CREATE TABLE IF NOT EXISTS "${TABLE}" (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)`);
  const lastApplied = sqlite.prepare(`SELECT created_at FROM "${TABLE}" ORDER BY created_at DESC LIMIT 1`).pluck();
  const pending = () => {
    const last = Number(lastApplied.get() ?? -1);
    return migrations.filter((m) => m.folderMillis > last);
  };
  if (pending().length === 0) return { applied: 0, total: migrations.length };

  const record = sqlite.prepare(`INSERT INTO "${TABLE}" ("hash", "created_at") VALUES (?, ?)`);
  const apply = sqlite.transaction(() => {
    const todo = pending(); // re-read under the write lock
    for (const m of todo) {
      for (const stmt of m.sql) if (stmt.trim() !== '') sqlite.exec(stmt);
      record.run(m.hash, m.folderMillis);
    }
    return todo.length;
  });
  const applied = apply.immediate();
  return { applied, total: migrations.length };
}
