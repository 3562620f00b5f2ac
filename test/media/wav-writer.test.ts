import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseWav, readWav } from '../../src/media/wav-reader.ts';
import { WavWriter, repairRecordings, repairWav, wavHeader } from '../../src/media/wav-writer.ts';

const dir = mkdtempSync(join(tmpdir(), 'wav-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ramp(n: number, start = 0): Int16Array {
  const s = new Int16Array(n);
  for (let i = 0; i < n; i++) s[i] = ((start + i) * 37) % 30000;
  return s;
}

describe('WAV writer', () => {
  it('is a valid WAV after every header refresh while still open, and exact after close', () => {
    const path = join(dir, 'open.wav');
    const w = new WavWriter(path, { channels: 2, refreshBytes: 3200 }); // 100 ms of stereo
    expect(readWav(path)).toMatchObject({ format: 'pcm16', sampleRate: 8000, channels: 2, data: Buffer.alloc(0) });
    let written = 0;
    for (let i = 0; i < 50; i++) {
      w.writeSamples(ramp(320, written / 2)); // 20 ms stereo
      written += 640;
      const onDiskNow = readWav(path);
      // The header covers everything up to the last refresh: at most one refresh interval behind.
      expect(onDiskNow.data.length).toBe(Math.floor(written / 3200) * 3200);
    }
    w.close();
    const done = readWav(path);
    expect(done.data.length).toBe(written);
    expect(new Int16Array(done.data.buffer, done.data.byteOffset, 320)).toEqual(ramp(320));
    expect(statSync(path).size).toBe(44 + written);
    expect(repairWav(path).status).toBe('ok');
  });

  it('defaults to refreshing every second of audio', () => {
    const path = join(dir, 'second.wav');
    const w = new WavWriter(path);
    w.writeSamples(ramp(7999));
    expect(readWav(path).data.length).toBe(0);
    w.writeSamples(ramp(2));
    expect(readWav(path).data.length).toBe(16000);
    w.close();
    expect(readWav(path).data.length).toBe(16002);
  });

  it('truncate() cuts pending and on-disk audio back, rewriting the header at once', () => {
    const path = join(dir, 'truncate.wav');
    const w = new WavWriter(path, { refreshBytes: 3200 }); // 200 ms of mono
    w.writeSamples(ramp(4000)); // 3 refreshes on disk + 1600 bytes pending
    w.truncate(7001); // within pending: rounded down to whole frames
    expect(w.dataBytes).toBe(7000);
    expect(readWav(path).data.length).toBe(7000);
    w.truncate(2000); // back into what is on disk
    expect(readWav(path).data.length).toBe(2000);
    expect(statSync(path).size).toBe(44 + 2000);
    w.truncate(5000); // never grows
    expect(w.dataBytes).toBe(2000);
    w.writeSamples(ramp(100, 1000));
    w.close();
    const done = readWav(path);
    expect(done.data.length).toBe(2200);
    const pcm = new Int16Array(done.data.buffer, done.data.byteOffset, 1100);
    expect(pcm.subarray(0, 1000)).toEqual(ramp(1000));
    expect(pcm.subarray(1000)).toEqual(ramp(100, 1000));
    expect(repairWav(path).status).toBe('ok');
  });

  it('writes A-law and µ-law with fmt cbSize and a fact chunk, padding an odd data chunk', () => {
    for (const format of ['alaw', 'ulaw'] as const) {
      const path = join(dir, `${format}.wav`);
      const w = new WavWriter(path, { format });
      w.write(Buffer.alloc(161, 0xd5));
      w.close();
      const buf = readFileSync(path);
      expect(buf.length).toBe(58 + 162);
      expect(buf.readUInt32LE(46)).toBe(161); // fact: sample count
      expect(parseWav(buf)).toMatchObject({ format, sampleRate: 8000, channels: 1 });
      expect(parseWav(buf).data.length).toBe(161);
      expect(repairWav(path).status).toBe('ok');
    }
    expect(wavHeader('pcm16', 8000, 1, 0).length).toBe(44);
  });

  it('kill simulation: a copy taken mid-write is repaired to its full length', () => {
    const path = join(dir, 'live.wav');
    const w = new WavWriter(path, { channels: 2, refreshBytes: 32000 });
    for (let i = 0; i < 120; i++) w.writeSamples(ramp(320, i * 320)); // 2.4 s
    // 1 refresh at 32000, 2 at 64000; 76800 written: 12800 still pending in memory.
    const snap = join(dir, 'snapshot.wav');
    copyFileSync(path, snap);
    w.close();
    // Simulate a crash between data write and header refresh: append data the header does not cover.
    writeFileSync(snap, Buffer.concat([readFileSync(snap), Buffer.alloc(3202, 1)]));
    expect(readWav(snap).data.length).toBe(64000);
    const r = repairWav(snap);
    expect(r).toMatchObject({ status: 'repaired', dataBytes: 64000 + 3200 });
    expect(r.seconds).toBeCloseTo(67200 / 32000);
    expect(statSync(snap).size).toBe(44 + 67200); // partial frame cut
    expect(readWav(snap).data.length).toBe(67200);
    expect(repairWav(snap).status).toBe('ok');
  });

  it('repairs a file whose header still says zero (killed before the first refresh)', () => {
    const path = join(dir, 'zero.wav');
    writeFileSync(path, Buffer.concat([wavHeader('ulaw', 8000, 1, 0), Buffer.alloc(801, 0xff)]));
    expect(repairWav(path)).toMatchObject({ status: 'repaired', dataBytes: 801 });
    expect(readWav(path).data.length).toBe(801);
  });

  it('repairRecordings scans a folder tree and reports what it cannot fix', async () => {
    const root = join(dir, 'rec');
    mkdirSync(join(root, 'tenant1', '2024-05'), { recursive: true });
    const a = join(root, 'tenant1', '2024-05', 'a.wav');
    writeFileSync(a, Buffer.concat([wavHeader('pcm16', 8000, 2, 0), Buffer.alloc(4000)]));
    const b = join(root, 'b.wav');
    const w = new WavWriter(b);
    w.writeSamples(ramp(100));
    w.close();
    writeFileSync(join(root, 'junk.wav'), 'not a wav');
    writeFileSync(join(root, 'notes.txt'), 'ignored');
    const results = await repairRecordings(root);
    const by = Object.fromEntries(results.map((r) => [r.path.slice(root.length + 1), r]));
    expect(Object.keys(by).sort()).toEqual(['b.wav', 'junk.wav', join('tenant1', '2024-05', 'a.wav')].sort());
    expect(by['b.wav']!.status).toBe('ok');
    expect(by[join('tenant1', '2024-05', 'a.wav')]!).toMatchObject({ status: 'repaired', dataBytes: 4000 });
    expect(by['junk.wav']!.status).toBe('failed');
    expect(by['junk.wav']!.error).toMatch(/not a RIFF\/WAVE file/);
    expect(await repairRecordings(join(dir, 'nowhere'))).toEqual([]);
  });

  it('a writer process killed with SIGKILL leaves a file repairWav fixes to at least the last refresh', async () => {
    const path = join(dir, 'killed.wav');
    const script = join(dir, 'writer-child.ts');
    const writerModule = resolve('src/media/wav-writer.ts');
    // The child writes 20 ms of stereo audio at a time, refreshing every 100 ms of audio, and
    // reports each refresh on stdout; it never closes the file.
    writeFileSync(
      script,
      `import { WavWriter } from ${JSON.stringify(writerModule)};
const w = new WavWriter(${JSON.stringify(path)}, { channels: 2, refreshBytes: 3200 });
const frame = new Int16Array(320).fill(1234);
let n = 0;
setInterval(() => {
  for (let i = 0; i < 10; i++) { w.writeSamples(frame); n += 640; if (n % 3200 === 0) process.stdout.write('refreshed ' + n + '\\n'); }
}, 1);
`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
    let lastRefresh = 0;
    await new Promise<void>((done, fail) => {
      child.on('error', fail);
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        for (const m of chunk.matchAll(/refreshed (\d+)/g)) lastRefresh = Number(m[1]);
        if (lastRefresh >= 320000 && child.exitCode === null && !child.killed) child.kill('SIGKILL');
      });
      child.on('exit', (_code, signal) => (signal === 'SIGKILL' ? done() : fail(new Error(`child exited ${_code} ${signal}`))));
    });
    expect(existsSync(path)).toBe(true);
    const before = readWav(path); // playable as it is
    expect(before.data.length).toBeGreaterThanOrEqual(lastRefresh);
    const r = repairWav(path);
    expect(r.dataBytes).toBeGreaterThanOrEqual(lastRefresh);
    expect(r.dataBytes % 4).toBe(0);
    const after = readWav(path);
    expect(after.data.length).toBe(r.dataBytes);
    expect(after.data.readInt16LE(after.data.length - 2)).toBe(1234);
  }, 30000);
});
