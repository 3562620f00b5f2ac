// A number's greeting uploaded through the admin API: an 8 kHz mono WAV is stored under the data
// directory and played from then on; anything else is refused with what is wrong and how to
// convert it; DELETE goes back to the built-in welcome. The CLI's path is checked the same way.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiApp } from '../../src/api/index.ts';
import { tempServices } from '../fixtures.ts';

/** A WAV of `seconds` of silence: PCM16 at `rate` Hz with `channels` channels. */
function wav(rate: number, channels: number, seconds = 0.5): Buffer {
  const data = Buffer.alloc(Math.round(rate * seconds) * channels * 2);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVEfmt ', 8, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * channels * 2, 28);
  h.writeUInt16LE(channels * 2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

let env: ReturnType<typeof tempServices>;
let app: ReturnType<typeof createApiApp>;
let token: string;
let dir: string;

beforeEach(() => {
  env = tempServices('');
  dir = join(env.config.data_dir, 'greetings');
  app = createApiApp({ services: env.services, greetingsDir: dir });
  token = env.services.tokens.create({ name: 'admin' }).token;
  env.services.numbers.add(env.services.tenants.defaultTenant().id, { number: '+861088886666', mode: 'switchboard' });
});
afterEach(() => env.cleanup());

const put = (body: Buffer) => app.request('/numbers/+861088886666/greeting', { method: 'PUT', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'audio/wav' }, body: new Uint8Array(body) });

describe('number greetings', () => {
  it('stores an 8 kHz mono upload and uses it; DELETE goes back to the built-in welcome', async () => {
    const r = await put(wav(8000, 1));
    expect(r.status).toBe(200);
    const n = (await r.json()) as { greeting: string };
    expect(n.greeting.startsWith(dir)).toBe(true);
    expect(readFileSync(n.greeting).equals(wav(8000, 1))).toBe(true);
    const cleared = await app.request('/numbers/+861088886666/greeting', { method: 'DELETE', headers: { Authorization: `Bearer ${token}` } });
    expect(((await cleared.json()) as { greeting: string | null }).greeting).toBeNull();
  });

  it('refuses a 44.1 kHz stereo file and an MP3 with what is wrong, keeping the old greeting', async () => {
    expect((await put(wav(8000, 1))).status).toBe(200);
    const stereo = await put(wav(44100, 2));
    expect(stereo.status).toBe(400);
    const body = (await stereo.json()) as { error: { message: string } };
    expect(body.error.message).toMatch(/44100 Hz|44\.1 kHz/);
    expect(body.error.message).toMatch(/8 kHz mono/);
    expect(body.error.message).toContain('sox');
    const mp3 = await put(Buffer.from('ID3\x03\x00\x00\x00\x00\x00\x00', 'latin1'));
    expect(mp3.status).toBe(400);
    expect(((await mp3.json()) as { error: { message: string } }).error.message).toContain('MP3');
    expect(env.services.numbers.get('+861088886666').greeting).not.toBeNull();
  });

  it("an extension's voicemail greeting: uploaded, used by the box, cleared; a bad file refused", async () => {
    const t = env.services.tenants.defaultTenant().id;
    env.services.extensions.add(t, { number: '801' });
    const auth = { Authorization: `Bearer ${token}` };
    const r = await app.request('/extensions/801/voicemail-greeting', { method: 'PUT', headers: { ...auth, 'Content-Type': 'audio/wav' }, body: new Uint8Array(wav(8000, 1)) });
    expect(r.status).toBe(200);
    const { greeting } = (await r.json()) as { greeting: string };
    expect(existsSync(greeting)).toBe(true);
    const row = env.services.db.sqlite.prepare("SELECT voicemail_greeting FROM extension WHERE number = '801'").get() as { voicemail_greeting: string };
    expect(row.voicemail_greeting).toBe(greeting);
    const bad = await app.request('/extensions/801/voicemail-greeting', { method: 'PUT', headers: { ...auth, 'Content-Type': 'audio/wav' }, body: new Uint8Array(wav(16000, 1)) });
    expect(bad.status).toBe(400);
    const cleared = await app.request('/extensions/801/voicemail-greeting', { method: 'DELETE', headers: auth });
    expect(await cleared.json()).toEqual({ greeting: null });
  });

  it('a greeting path (CLI, service) must be a playable file', () => {
    const good = join(env.config.data_dir, 'hello.wav');
    writeFileSync(good, wav(8000, 1));
    expect(env.services.numbers.update('+861088886666', { greeting: good }).greeting).toBe(good);
    expect(() => env.services.numbers.update('+861088886666', { greeting: join(env.config.data_dir, 'missing.wav') })).toThrow(/cannot be read/);
    expect(existsSync(good)).toBe(true);
  });
});
