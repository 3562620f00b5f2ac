// Noticing writes made by another process (the CLI) to the database a running server holds:
// SQLite's `PRAGMA data_version` changes when another connection commits. Polling it is one
// cheap pragma; the callback can then reload what it keeps in memory (e.g. blocked sources).
import type { PbxDb } from './open.ts';

export function watchExternalWrites(db: PbxDb, onChange: () => void, intervalMs = 2000): { stop(): void } {
  const version = () => Number(db.sqlite.pragma('data_version', { simple: true }));
  let last = version();
  const timer = setInterval(() => {
    if (!db.sqlite.open) return;
    const v = version();
    if (v !== last) {
      last = v;
      onChange();
    }
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
