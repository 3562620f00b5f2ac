// Where call recordings live: `recording.dir` (default <data_dir>/recordings), one folder per
// tenant and day — `<dir>/<tenant id>/<YYYY-MM-DD>/<call id>.wav` (UTC date) — so no folder
// grows without bound and crash recovery repairs only the folders of interrupted calls.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../config/schema.ts';

const madeDirs = new Set<string>();

export function recordingsDir(config: Pick<Config, 'data_dir' | 'recording'>): string {
  return resolve(config.recording.dir ?? join(config.data_dir, 'recordings'));
}

/** The absolute path for a new recording of a call; creates its folder. */
export function prepareRecordingPath(config: Pick<Config, 'data_dir' | 'recording'>, rec: { tenantId: number; callId: string; at: number }): string {
  const day = new Date(rec.at).toISOString().slice(0, 10);
  const dir = join(recordingsDir(config), String(rec.tenantId), day);
  if (!madeDirs.has(dir)) {
    mkdirSync(dir, { recursive: true });
    // one folder a day per tenant: remembering the last few spares a syscall per call
    if (madeDirs.size > 1000) madeDirs.clear();
    madeDirs.add(dir);
  }
  const name = rec.callId.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return join(dir, `${name}.wav`);
}
