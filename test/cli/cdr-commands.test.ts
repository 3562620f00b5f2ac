// pbx cdr list|show, pbx recording list|export and pbx tenant set, run in-process on a temp data
// directory that a writer filled first (as a running server would have).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../src/cli/run.ts';
import { CallEventBus } from '../../src/calls/call-events.ts';
import { CdrWriter, RecordingRetention, prepareRecordingPath } from '../../src/cdr/index.ts';
import { WavWriter } from '../../src/media/wav-writer.ts';
import { loadConfigFile } from '../../src/config/load.ts';
import { bootServices } from '../../src/services.ts';
import { tempDir } from '../fixtures.ts';
import { publishCall } from '../cdr/cdr-fixtures.ts';

let tmp: ReturnType<typeof tempDir>;
let configPath: string;
let recId: number;
let deletedId: number;
const T0 = Date.UTC(2026, 2, 1, 8, 0, 0);

async function pbx(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const status = await runCli([...args, '--config', configPath], { out: (t) => void (stdout += t.endsWith('\n') ? t : t + '\n'), err: (t) => void (stderr += t.endsWith('\n') ? t : t + '\n') });
  return { status, stdout, stderr };
}

beforeAll(async () => {
  tmp = tempDir('pbx-cdr-cli-');
  configPath = join(tmp.dir, 'pbx.yaml');
  writeFileSync(configPath, 'data_dir: ./data\ntenants:\n  - name: main\n    default: true\n  - name: managed\n    domain: managed.example\n');
  const config = loadConfigFile(configPath);
  const { services } = bootServices(config);
  const bus = new CallEventBus();
  const writer = new CdrWriter(services.db).attach(bus);
  const def = services.tenants.defaultTenant().id;
  services.tenants.add({ name: 'acme', domain: 'acme.example' });
  const path = prepareRecordingPath(config, { tenantId: def, callId: 'call-answered', at: T0 });
  const w = new WavWriter(path, { channels: 2 });
  w.write(Buffer.alloc(8000 * 4 * 2));
  w.close();
  publishCall(bus, { callId: 'call-answered', tenantId: def, at: T0, answerAfter: 5_000, endAfter: 70_000, disposition: 'answered', hangupBy: 'caller', recordingPath: path });
  publishCall(bus, { callId: 'call-busy', tenantId: def, at: T0 + 60_000, caller: { number: '1003', extensionId: 3, name: 'Carol' }, callee: { number: '1001', extensionId: 1 }, endAfter: 1_000, disposition: 'busy', hangupBy: 'callee', sipCode: 486 });
  const oldPath = prepareRecordingPath(config, { tenantId: def, callId: 'call-old', at: T0 - 300 * 86_400_000 });
  writeFileSync(oldPath, Buffer.alloc(44));
  publishCall(bus, { callId: 'call-old', tenantId: def, at: T0 - 300 * 86_400_000, answerAfter: 1, endAfter: 2, disposition: 'answered', hangupBy: 'caller', recordingPath: oldPath });
  writer.stop();
  await new RecordingRetention(services.db, { intervalMs: 1, now: () => T0 }).sweep();
  recId = services.cdrs.get('call-answered').recordingId!;
  deletedId = services.cdrs.get('call-old').recordingId!;
  services.close();
});
afterAll(() => tmp.cleanup());

describe('pbx cdr', () => {
  it('cdr list: a table newest first with durations, billable seconds, disposition, who hung up, SIP code, recording', async () => {
    const r = await pbx('cdr', 'list');
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^STARTED\s+ID\s+TENANT\s+DIR\s+FROM\s+TO\s+KIND\s+DURATION\s+BILLABLE\s+DISPOSITION\s+BY\s+SIP\s+REC$/);
    expect(lines[1]).toMatch(/^2026-03-01T08:01:00Z\s+call-busy\s+main\s+internal\s+1003 \(Carol\)\s+1001\s+colleague\s+0:01\s+0\s+busy\s+callee\s+486\s+-$/);
    expect(lines[2]).toMatch(new RegExp(`^2026-03-01T08:00:00Z\\s+call-answered\\s+main\\s+internal\\s+1001 \\(Alice\\)\\s+1002 \\(Bob\\)\\s+colleague\\s+1:10\\s+65\\s+answered\\s+caller\\s+-\\s+${recId}$`));
    expect(lines[3]).toMatch(new RegExp(`call-old .* ${deletedId} \\(deleted\\)$`));
  });

  it('cdr list filters and --json pages', async () => {
    const busy = await pbx('cdr', 'list', '--disposition', 'busy', '--json');
    expect(JSON.parse(busy.stdout)).toEqual({ items: [expect.objectContaining({ id: 'call-busy', startedAt: '2026-03-01T08:01:00Z', sipCode: 486 })], nextCursor: null });
    const ext = JSON.parse((await pbx('cdr', 'list', '--extension', '1002', '--since', '2026-03-01', '--json')).stdout) as { items: Array<{ id: string }> };
    expect(ext.items.map((c) => c.id)).toEqual(['call-answered']);
    expect(JSON.parse((await pbx('cdr', 'list', '--tenant', 'acme', '--json')).stdout)).toEqual({ items: [], nextCursor: null });
    const p1 = await pbx('cdr', 'list', '--limit', '1');
    const cursor = /^more: --cursor (\S+)$/m.exec(p1.stdout)?.[1];
    expect(cursor).toBeDefined();
    expect((await pbx('cdr', 'list', '--limit', '1', '--cursor', cursor!)).stdout).toMatch(/call-answered/);
  });

  it('cdr show: the call, its legs and its recording', async () => {
    const r = await pbx('cdr', 'show', 'call-answered');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^billable\s+65 s$/m);
    expect(r.stdout).toMatch(/^hung up by\s+caller$/m);
    expect(r.stdout).toMatch(/^callee kind\s+colleague$/m);
    expect(r.stdout).toMatch(/^LEG\s+DIR\s+PARTY/m);
    expect(r.stdout).toMatch(/^call-answered-b\s+outbound\s+1002 \(Bob\)/m);
    expect(r.stdout).toMatch(new RegExp(`^recording ${recId}: complete 65\\.0 s /.*call-answered\\.wav$`, 'm'));
    expect(JSON.parse((await pbx('cdr', 'show', 'call-old', '--json')).stdout)).toMatchObject({ id: 'call-old', recordings: [{ status: 'deleted', deletedAt: '2026-03-01T08:00:00Z' }] });
    expect((await pbx('cdr', 'show', 'call-old')).stdout).toMatch(/recording \d+: deleted on 2026-03-01T08:00:00Z by the retention policy/);
  });

  it('user errors are one line', async () => {
    for (const args of [['cdr', 'show', 'nope'], ['cdr', 'list', '--since', 'yesterday'], ['cdr', 'list', '--disposition', 'hungup'], ['cdr', 'list', '--tenant', 'nope']]) {
      const r = await pbx(...args);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
    expect((await pbx('cdr', 'show', 'nope')).stderr.trim()).toBe('error: call nope does not exist');
  });
});

describe('pbx recording', () => {
  it('list and export; a deleted recording says when it went', async () => {
    const list = await pbx('recording', 'list');
    expect(list.stdout).toMatch(new RegExp(`^${recId}\\s+call-answered\\s+2026-03-01T08:00:05Z\\s+65\\.0\\s+64044\\s+complete\\s+/`, 'm'));
    expect(list.stdout).toMatch(new RegExp(`^${deletedId}\\s+call-old\\s+.*deleted 2026-03-01T08:00:00Z\\s+-$`, 'm'));
    const out = join(tmp.dir, 'out.wav');
    const r = await pbx('recording', 'export', String(recId), out);
    expect(r.stdout.trim()).toBe(`recording ${recId} (call call-answered, 65.0 s, 64044 bytes) written to ${out}`);
    expect(readFileSync(out).toString('latin1', 0, 4)).toBe('RIFF');
    expect((await pbx('recording', 'export', String(recId), out)).stderr.trim()).toBe(`error: ${out} exists; pass --force to overwrite it`);
    expect((await pbx('recording', 'export', String(recId), out, '--force')).status).toBe(0);
    const gone = await pbx('recording', 'export', String(deletedId), join(tmp.dir, 'old.wav'));
    expect(gone.stderr.trim()).toBe(`error: recording ${deletedId} was deleted on 2026-03-01 by the retention policy`);
    expect(existsSync(join(tmp.dir, 'old.wav'))).toBe(false);
  });
});

describe('pbx tenant set', () => {
  it('turns recording off and changes the retention; config-declared tenants are refused', async () => {
    const r = await pbx('tenant', 'set', 'acme', '--recording', 'off', '--retention-days', '30');
    expect(r.stdout.trim()).toBe('tenant acme: recording off, recordings kept 30 days');
    expect((await pbx('tenant', 'list')).stdout).toMatch(/^\d+\s+acme\s+acme\.example\s+active\s+db\s+0\s+off$/m);
    expect((await pbx('tenant', 'set', 'acme', '--recording', 'on')).stdout.trim()).toBe('tenant acme: recording on, recordings kept 30 days');
    expect((await pbx('tenant', 'set', 'managed', '--recording', 'off')).stderr.trim()).toBe('error: tenant managed is declared in the config file; edit the config instead');
    expect((await pbx('tenant', 'set', 'acme')).stderr.trim()).toBe('error: nothing to change: pass --recording on|off and/or --retention-days N');
    expect((await pbx('tenant', 'set', 'acme', '--retention-days', '0')).status).toBe(1);
  });

  it('bin/pbx lists the cdr and recording commands', () => {
    const PBX = fileURLToPath(new URL('../../bin/pbx', import.meta.url));
    const r = spawnSync(PBX, ['--help'], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, PBX_CONFIG: '' } });
    expect(r.stdout).toMatch(/^ {2}cdr\b/m);
    expect(r.stdout).toMatch(/^ {2}recording\b/m);
  });
});
