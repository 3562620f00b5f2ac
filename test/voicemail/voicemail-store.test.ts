import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyConfig } from '../../src/config/index.ts';
import { openServices } from '../../src/services.ts';
import { VoicemailStore, type VoicemailChange } from '../../src/voicemail/index.ts';
import { tempServices } from '../fixtures.ts';

const YAML = `
tenants:
  - name: main
    default: true
    extensions:
      - { number: 1001, password: secret-1001-pw, voicemail_pin: '2468' }
      - { number: 1002, password: secret-1002-pw }
  - name: acme
    domain: acme.example
    extensions:
      - { number: 1001, password: secret-acme-pw }
`;

let env: ReturnType<typeof tempServices>;
let store: VoicemailStore;
let clock: number;
let main: number;
let acme: number;
let ext1001: number;
let ext1002: number;
let acme1001: number;

beforeEach(() => {
  clock = Date.UTC(2026, 2, 3, 8, 30, 15, 250);
  env = tempServices(YAML, () => clock);
  applyConfig(env.services.db, env.config, env.services.audit, () => clock);
  store = env.services.voicemail;
  main = env.services.tenants.resolve('main').id;
  acme = env.services.tenants.resolve('acme').id;
  ext1001 = env.services.extensions.show(main, '1001').id;
  ext1002 = env.services.extensions.show(main, '1002').id;
  acme1001 = env.services.extensions.show(acme, '1001').id;
});
afterEach(() => env.cleanup());

/** A message with a real (tiny) file, as the call flow leaves it. */
function leave(extensionId: number | null, caller = '13800138000', tenantId = main, at = clock): ReturnType<VoicemailStore['add']> {
  const path = store.pathFor({ tenantId, extensionId, at, callId: `call-${caller}-${at}` });
  writeFileSync(path, Buffer.alloc(44 + 16000));
  return store.add({ tenantId, extensionId, callerNumber: caller, callerName: 'Caller', callId: `call-${at}`, path, receivedAt: at, durationS: 1 });
}

describe('VoicemailStore', () => {
  it('puts files in <dir>/<tenant>/<extension | general>/ under <data_dir>/voicemail, named by time and call', () => {
    const p = store.pathFor({ tenantId: main, extensionId: ext1001, at: clock, callId: 'a/b..c' });
    expect(p).toBe(join(env.dir, 'voicemail', String(main), '1001', '20260303-083015-250-a_b..c.wav'));
    expect(existsSync(join(env.dir, 'voicemail', String(main), '1001'))).toBe(true);
    const g = store.pathFor({ tenantId: main, at: clock, callId: 'x' });
    expect(g).toBe(join(env.dir, 'voicemail', String(main), 'general', '20260303-083015-250-x.wav'));
    // an extension of another tenant is not a box of this one
    expect(() => store.pathFor({ tenantId: main, extensionId: acme1001, at: clock, callId: 'x' })).toThrow(/not an extension of tenant/);
  });

  it('follows voicemail.dir when configured', () => {
    const other = join(env.dir, 'elsewhere');
    const s = openServices({ ...env.config, voicemail: { dir: other } });
    try {
      expect(s.voicemail.pathFor({ tenantId: main, at: clock, callId: 'x' }).startsWith(join(other, String(main), 'general'))).toBe(true);
    } finally {
      s.close();
    }
  });

  it('adds one row per message, lists newest first per box, and counts new and saved', () => {
    const a = leave(ext1001, '111', main, clock);
    const b = leave(ext1001, '222', main, clock + 60_000);
    const g = leave(null, '333', main, clock + 120_000);
    leave(acme1001, '444', acme, clock);
    expect(a).toMatchObject({ tenantId: main, extensionId: ext1001, extension: '1001', callerNumber: '111', callerName: 'Caller', status: 'new', heardAt: null, durationS: 1 });
    expect(store.list({ tenantId: main, extensionId: ext1001 }).map((m) => m.id)).toEqual([b.id, a.id]);
    expect(store.list({ tenantId: main, extensionId: null }).map((m) => m.id)).toEqual([g.id]);
    expect(store.list({ tenantId: main }).map((m) => m.callerNumber)).toEqual(['333', '222', '111']);
    expect(store.list().length).toBe(4);
    expect(store.list({ tenantId: main }, { limit: 1 }).map((m) => m.callerNumber)).toEqual(['333']);
    expect(store.list({ tenantId: main, extensionId: ext1002 })).toEqual([]);
    expect(store.counts(main, ext1001)).toEqual({ new: 2, saved: 0 });
    expect(store.counts(main, null)).toEqual({ new: 1, saved: 0 });
    expect(store.counts(acme, acme1001)).toEqual({ new: 1, saved: 0 });
    expect(store.get(g.id)).toEqual(g);
  });

  it('markHeard makes a new message saved once; delete removes the file and keeps the row as deleted', () => {
    const m = leave(ext1001);
    clock += 5000;
    const heard = store.markHeard(m.id, { actor: 'test' });
    expect(heard).toMatchObject({ status: 'saved', heardAt: clock });
    clock += 5000;
    expect(store.markHeard(m.id).heardAt).toBe(clock - 5000); // hearing again changes nothing
    expect(store.counts(main, ext1001)).toEqual({ new: 0, saved: 1 });
    expect(store.list({ tenantId: main, extensionId: ext1001 }, { status: 'saved' })).toHaveLength(1);
    expect(store.list({ tenantId: main, extensionId: ext1001 }, { status: 'new' })).toHaveLength(0);

    expect(existsSync(m.path)).toBe(true);
    const gone = store.delete(m.id, { actor: 'test' });
    expect(gone.status).toBe('deleted');
    expect(existsSync(m.path)).toBe(false);
    expect(store.counts(main, ext1001)).toEqual({ new: 0, saved: 0 });
    expect(store.list({ tenantId: main })).toEqual([]);
    expect(store.list({ tenantId: main }, { status: 'deleted' }).map((x) => x.id)).toEqual([m.id]);
    expect(() => store.delete(m.id)).toThrow(/voicemail \d+ was deleted/);
    expect(() => store.markHeard(m.id)).toThrow(/was deleted/);
    expect(() => store.audio(m.id)).toThrow(/was deleted/);
    const audit = env.services.audit.list().map((a) => [a.action, a.actor]);
    expect(audit).toContainEqual(['voicemail.heard', 'test']);
    expect(audit).toContainEqual(['voicemail.delete', 'test']);
  });

  it('keeps tenants apart and answers 404-style errors for unknown ids', () => {
    const m = leave(acme1001, '444', acme);
    expect(() => store.get(m.id, main)).toThrow(/voicemail \d+ does not exist/);
    expect(() => store.delete(m.id, { tenantId: main })).toThrow(/does not exist/);
    expect(store.get(m.id, acme).id).toBe(m.id);
    expect(() => store.get(99999)).toThrow(/voicemail 99999 does not exist/);
    expect(() => store.list({}, { status: 'gone' as never })).toThrow(/status must be one of new, saved, deleted/);
  });

  it('gives the audio with its size; a missing file is a clear error', () => {
    const m = leave(ext1002);
    expect(store.audio(m.id)).toMatchObject({ path: m.path, size: 44 + 16000 });
    const lost = store.add({ tenantId: main, extensionId: ext1002, callerNumber: '5', path: join(env.dir, 'nope.wav'), receivedAt: clock, durationS: 2 });
    expect(() => store.audio(lost.id)).toThrow(/the file of voicemail \d+ is missing/);
    // deleting a message whose file is already gone still works
    expect(store.delete(lost.id).status).toBe('deleted');
  });

  it('tells listeners when a box count changes', () => {
    const seen: VoicemailChange[] = [];
    const off = store.onChange((c) => seen.push(c));
    const m = leave(ext1001);
    store.markHeard(m.id);
    store.markHeard(m.id); // no change: no event
    store.delete(m.id);
    leave(null);
    off();
    leave(null);
    expect(seen).toEqual([
      { box: { tenantId: main, extensionId: ext1001 }, counts: { new: 1, saved: 0 } },
      { box: { tenantId: main, extensionId: ext1001 }, counts: { new: 0, saved: 1 } },
      { box: { tenantId: main, extensionId: ext1001 }, counts: { new: 0, saved: 0 } },
      { box: { tenantId: main, extensionId: null }, counts: { new: 1, saved: 0 } },
    ]);
  });

  it('reconcile() notices changes another process made to boxes it reported on', () => {
    const a = leave(ext1001);
    leave(ext1002);
    const seen: VoicemailChange[] = [];
    store.onChange((c) => seen.push(c));
    expect(store.reconcile()).toBe(0);
    // the CLI: another connection, another store
    const cli = openServices(env.config);
    try {
      cli.voicemail.markHeard(a.id, { actor: 'cli:test' });
    } finally {
      cli.close();
    }
    expect(store.reconcile()).toBe(1);
    expect(seen).toEqual([{ box: { tenantId: main, extensionId: ext1001 }, counts: { new: 0, saved: 1 } }]);
    expect(store.reconcile()).toBe(0);
  });

  it('sets and checks extension PINs; config-declared extensions keep theirs', () => {
    const pins = env.services.voicemailPins;
    expect(pins.matches(ext1001, '2468')).toBe(true); // from the config
    expect(() => pins.set(main, '1001', '1111')).toThrow(/declared in the config file/);
    env.services.extensions.add(main, { number: '1003', password: 'secret-1003-pw' });
    const id = env.services.extensions.show(main, '1003').id;
    expect(pins.has(id)).toBe(false);
    expect(pins.matches(id, '')).toBe(false);
    pins.set(main, '1003', '9876', 'test');
    expect(pins.matches(id, '9876')).toBe(true);
    expect(pins.matches(id, '98765')).toBe(false);
    expect(() => pins.set(main, '1003', '12a4')).toThrow(/4 to 12 digits/);
    expect(() => pins.set(main, '1009', '1234')).toThrow(/extension 1009 does not exist/);
    pins.set(main, '1003', null);
    expect(pins.has(id)).toBe(false);
    expect(env.services.audit.list().some((a) => a.action === 'extension.set_voicemail_pin' && JSON.stringify(a.detail) === '{"cleared":false}')).toBe(true);
  });
});
