import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { migrate, openDatabase } from '../../src/db/index.ts';
import { tempDir } from '../fixtures.ts';

describe('database', () => {
  it('opens with WAL, foreign keys, synchronous NORMAL; migrations apply once', () => {
    const t = tempDir();
    try {
      const db = openDatabase(t.dir);
      expect(db.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.sqlite.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(db.sqlite.pragma('synchronous', { simple: true })).toBe(1);
      const first = migrate(db);
      expect(first.applied).toBeGreaterThan(0);
      expect(migrate(db).applied).toBe(0);
      const tables = db.sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all();
      expect(tables).toEqual(expect.arrayContaining(['tenant', 'extension', 'registration', 'blocked_source', 'api_token', 'audit_log', 'call', 'call_leg', 'recording']));
      db.close();
    } finally {
      t.cleanup();
    }
  });

  it('concurrent processes migrating the same fresh database both succeed', async () => {
    const t = tempDir();
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const script = `import { openDatabase, migrate } from './src/db/index.ts'; const db = openDatabase(${JSON.stringify(t.dir)}); migrate(db); db.close();`;
    const one = () =>
      new Promise<number>((resolve) => {
        const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, stdio: 'ignore' });
        p.on('exit', (code) => resolve(code ?? -1));
      });
    try {
      const codes = await Promise.all([one(), one(), one()]);
      expect(codes).toEqual([0, 0, 0]);
      const db = openDatabase(t.dir);
      expect(db.sqlite.prepare('SELECT count(*) FROM __drizzle_migrations').pluck().get()).toBe(migrate(db).total);
      db.close();
    } finally {
      t.cleanup();
    }
  });
});
