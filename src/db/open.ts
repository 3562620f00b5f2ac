// Opening the SQLite database: WAL (readers never block the writer, so the CLI can work while
// the server runs), busy_timeout for the rare write contention, synchronous=NORMAL (durable
// across process crashes; a power loss may lose the last commits), foreign keys on.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import * as schema from './schema.ts';

export type Orm = BetterSQLite3Database<typeof schema>;

export interface PbxDb {
  /** The raw connection, for prepared statements on hot paths. */
  readonly sqlite: Database.Database;
  /** drizzle over the same connection, for everything else. */
  readonly orm: Orm;
  close(): void;
}

export const DATABASE_FILE = 'pbx.sqlite';

/** Opens (creating if needed) `<dataDir>/pbx.sqlite`, or an in-memory database for ':memory:'. */
export function openDatabase(dataDir: string): PbxDb {
  let file = ':memory:';
  if (dataDir !== ':memory:') {
    mkdirSync(dataDir, { recursive: true });
    file = join(dataDir, DATABASE_FILE);
  }
  const sqlite = new Database(file);
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  const orm = drizzle(sqlite, { schema });
  return {
    sqlite,
    orm,
    close() {
      if (sqlite.open) sqlite.close();
    },
  };
}
