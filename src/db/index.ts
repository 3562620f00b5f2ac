// The database: opening SQLite with the PBX's pragmas, the collected schema, migrations.
export { openDatabase, DATABASE_FILE, type PbxDb, type Orm } from './open.ts';
export { migrate, MIGRATIONS_DIR, type MigrateResult } from './migrate.ts';
export { watchExternalWrites } from './change-watch.ts';
export * as schema from './schema.ts';
