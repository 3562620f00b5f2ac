// Test fixtures: a fresh data directory with a migrated database and the services over it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, type Config } from '../src/config/index.ts';
import { openServices, type Services } from '../src/services.ts';

export function tempDir(prefix = 'pbx-test-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function testConfig(dataDir: string, yaml = ''): Config {
  return { ...parseConfig(yaml, 'test.yaml'), data_dir: dataDir };
}

export function tempServices(yaml = '', now?: () => number): { services: Services; config: Config; dir: string; cleanup(): void } {
  const t = tempDir();
  const config = testConfig(t.dir, yaml);
  const services = openServices(config, now ? { now } : {});
  return {
    services,
    config,
    dir: t.dir,
    cleanup: () => {
      services.close();
      t.cleanup();
    },
  };
}
