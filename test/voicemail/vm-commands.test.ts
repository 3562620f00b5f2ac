// pbx vm list|show|play|delete and pbx ext set --voicemail-pin, run in-process on a temporary data
// directory whose boxes a writer filled first (as a running server's voicemail app would have).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.ts';
import { loadConfigFile } from '../../src/config/load.ts';
import { bootServices, openServices } from '../../src/services.ts';
import type { VoicemailMessage } from '../../src/voicemail/index.ts';
import { tempDir } from '../fixtures.ts';

let tmp: ReturnType<typeof tempDir>;
let configPath: string;
let inBox: VoicemailMessage;
let older: VoicemailMessage;
let general: VoicemailMessage;
let acme: VoicemailMessage;
const T0 = Date.UTC(2026, 2, 1, 8, 0, 0);
const AUDIO = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(40 + 1600, 1)]);

async function pbx(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const status = await runCli([...args, '--config', configPath], { out: (t) => void (stdout += t.endsWith('\n') ? t : t + '\n'), err: (t) => void (stderr += t.endsWith('\n') ? t : t + '\n') });
  return { status, stdout, stderr };
}

beforeAll(() => {
  tmp = tempDir('pbx-vm-cli-');
  configPath = join(tmp.dir, 'pbx.yaml');
  writeFileSync(
    configPath,
    'data_dir: ./data\ntenants:\n  - name: main\n    default: true\n    extensions:\n      - { number: 1001, password: secret-1001-pw }\n',
  );
  const { services } = bootServices(loadConfigFile(configPath));
  try {
    const main = services.tenants.defaultTenant().id;
    services.extensions.add(main, { number: '2001', password: 'secret-2001-pw' });
    const other = services.tenants.add({ name: 'acme', domain: 'acme.example' });
    services.extensions.add(other.id, { number: '2001', password: 'secret-acme-pw' });
    const leave = (tenantId: number, number: string | null, caller: string, at: number) => {
      const extensionId = number === null ? null : services.extensions.show(tenantId, number).id;
      const path = services.voicemail.pathFor({ tenantId, extensionId, at, callId: `call-${caller}` });
      writeFileSync(path, AUDIO);
      return services.voicemail.add({ tenantId, extensionId, callerNumber: caller, callerName: 'Zhang San', callId: `call-${caller}`, path, receivedAt: at, durationS: 4.25 });
    };
    older = leave(main, '2001', '13800000001', T0);
    inBox = leave(main, '2001', '13800000002', T0 + 60_000);
    general = leave(main, null, '13800000003', T0 + 120_000);
    acme = leave(other.id, '2001', '13800000004', T0 + 180_000);
  } finally {
    services.close();
  }
});
afterAll(() => tmp.cleanup());

describe('pbx vm', () => {
  it('list: one box, the general box, a tenant, or every tenant; JSON for scripts', async () => {
    const box = await pbx('vm', 'list', '--extension', '2001', '--json');
    expect(box.status).toBe(0);
    const items = (JSON.parse(box.stdout) as { items: Array<{ id: number; box: string; callerNumber: string; receivedAt: string; status: string }> }).items;
    expect(items.map((m) => m.id)).toEqual([inBox.id, older.id]);
    expect(items[0]).toMatchObject({ box: '2001', callerNumber: '13800000002', receivedAt: '2026-03-01T08:01:00Z', status: 'new' });

    const gen = JSON.parse((await pbx('vm', 'list', '--general', '--json')).stdout) as { items: Array<{ id: number; box: string }> };
    expect(gen.items).toEqual([expect.objectContaining({ id: general.id, box: 'general' })]);
    const other = JSON.parse((await pbx('vm', 'list', '--tenant', 'acme', '--extension', '2001', '--json')).stdout) as { items: Array<{ id: number }> };
    expect(other.items.map((m) => m.id)).toEqual([acme.id]);
    const all = JSON.parse((await pbx('vm', 'list', '--json')).stdout) as { items: unknown[] };
    expect(all.items).toHaveLength(4);
    const tenant = JSON.parse((await pbx('vm', 'list', '--tenant', 'main', '--json')).stdout) as { items: unknown[] };
    expect(tenant.items).toHaveLength(3);

    const text = await pbx('vm', 'list');
    expect(text.stdout).toMatch(/^ID\s+TENANT\s+BOX\s+CALLER\s+RECEIVED\s+SECONDS\s+STATUS$/m);
    expect(text.stdout).toMatch(new RegExp(`^${acme.id}\\s+acme\\s+2001\\s+13800000004\\s+2026-03-01T08:03:00Z\\s+4\\.3\\s+new$`, 'm'));
    expect(text.stdout).toMatch(/\sgeneral\s/);
  });

  it('show; play prints where the WAV is or copies it out, and marks it heard', async () => {
    expect((await pbx('vm', 'show', String(older.id))).stdout).toMatch(/caller\s+13800000001 \(Zhang San\)/);
    const play = await pbx('vm', 'play', String(older.id));
    expect(play.status).toBe(0);
    expect(play.stdout).toContain(`voicemail ${older.id} from 13800000001 (4.3 s, box 2001): ${older.path}`);
    const out = join(tmp.dir, 'copy.wav');
    const copy = await pbx('vm', 'play', String(inBox.id), '--out', out);
    expect(copy.status).toBe(0);
    expect(copy.stdout).toMatch(/written to .*copy\.wav/);
    expect(readFileSync(out)).toEqual(AUDIO);
    const again = await pbx('vm', 'play', String(inBox.id), '--out', out);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/exists; pass --force/);
    expect((await pbx('vm', 'play', String(inBox.id), '--out', out, '--force')).status).toBe(0);

    const saved = JSON.parse((await pbx('vm', 'list', '--extension', '2001', '--status', 'saved', '--json')).stdout) as { items: Array<{ id: number; heardAt: string | null }> };
    expect(saved.items.map((m) => m.id).sort()).toEqual([older.id, inBox.id].sort());
    expect(saved.items.every((m) => m.heardAt !== null)).toBe(true);
    const s = openServices(loadConfigFile(configPath));
    try {
      expect(s.voicemail.counts(s.tenants.defaultTenant().id, s.extensions.show(s.tenants.defaultTenant().id, '2001').id)).toEqual({ new: 0, saved: 2 });
      expect(s.audit.list().some((a) => a.action === 'voicemail.heard' && a.actor.startsWith('cli'))).toBe(true);
    } finally {
      s.close();
    }
  });

  it('delete removes the file; then the message is gone for play and delete', async () => {
    const del = await pbx('vm', 'delete', String(general.id));
    expect(del.status).toBe(0);
    expect(del.stdout).toContain(`voicemail ${general.id} from 13800000003 deleted from box general`);
    expect(existsSync(general.path)).toBe(false);
    const twice = await pbx('vm', 'delete', String(general.id));
    expect(twice.status).toBe(1);
    expect(twice.stderr).toMatch(/voicemail \d+ was deleted/);
    expect((await pbx('vm', 'play', String(general.id))).stderr).toMatch(/was deleted/);
    const deleted = JSON.parse((await pbx('vm', 'list', '--general', '--status', 'deleted', '--json')).stdout) as { items: Array<{ id: number; path: string | null }> };
    expect(deleted.items).toEqual([expect.objectContaining({ id: general.id, path: null })]);
  });

  it('user errors are one line', async () => {
    for (const [args, message] of [
      [['vm', 'play', '99999'], /voicemail 99999 does not exist/],
      [['vm', 'delete', 'abc'], /must be a voicemail id/],
      [['vm', 'list', '--extension', '2001', '--general'], /not both/],
      [['vm', 'list', '--extension', '4444'], /extension 4444 does not exist/],
      [['vm', 'list', '--status', 'lost'], /must be one of new, saved, deleted/],
    ] as Array<[string[], RegExp]>) {
      const r = await pbx(...args);
      expect(r.status, args.join(' ')).not.toBe(0);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});

describe('pbx ext set --voicemail-pin', () => {
  it('sets and removes a PIN; config-declared extensions refuse it', async () => {
    const set = await pbx('ext', 'set', '2001', '--voicemail-pin', '4321');
    expect(set.status).toBe(0);
    const s = () => openServices(loadConfigFile(configPath));
    let svc = s();
    const id = svc.extensions.show(svc.tenants.defaultTenant().id, '2001').id;
    expect(svc.voicemailPins.matches(id, '4321')).toBe(true);
    // only the PIN given: no extension.update audit entry
    expect(svc.audit.list({ limit: 1 })[0]).toMatchObject({ action: 'extension.set_voicemail_pin', target: '2001' });
    svc.close();
    expect((await pbx('ext', 'set', '2001', '--voicemail-pin', '12')).stderr).toMatch(/4 to 12 digits/);
    expect((await pbx('ext', 'set', '2001', '--voicemail-pin', 'none', '--max-calls', '3')).status).toBe(0);
    svc = s();
    expect(svc.voicemailPins.has(id)).toBe(false);
    expect(svc.extensions.show(svc.tenants.defaultTenant().id, '2001').maxConcurrentCalls).toBe(3);
    svc.close();
    expect((await pbx('ext', 'set', '1001', '--voicemail-pin', '1234')).stderr).toMatch(/declared in the config file/);
  });
});
