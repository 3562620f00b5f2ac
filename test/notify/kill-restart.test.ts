// R-NOTIFY-1: nothing is lost when the process is killed between enqueue and delivery, and the
// message is delivered once after the restart. A child process enqueues (and, in the second
// case, has started the attempt) and is killed with SIGKILL; a worker started afterwards on
// the same data directory delivers the message exactly once to a loopback receiver.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { openDatabase, type PbxDb } from '../../src/db/open.ts';
import { migrate } from '../../src/db/migrate.ts';
import { parseConfig } from '../../src/config/index.ts';
import { Outbox, startOutbox } from '../../src/notify/index.ts';
import { tempDir } from '../fixtures.ts';
import { captureLog, startReceiver, until, type Receiver } from './receiver.ts';

const SCRIPT = fileURLToPath(new URL('./enqueue-and-hang.ts', import.meta.url));
let tmp: ReturnType<typeof tempDir>;
let receiver: Receiver;
let db: PbxDb | undefined;

beforeEach(async () => {
  tmp = tempDir('pbx-outbox-kill-');
  receiver = await startReceiver();
});
afterEach(async () => {
  db?.close();
  db = undefined;
  await receiver.close();
  tmp.cleanup();
});

/** Runs the child until it printed "enqueued <id>", then SIGKILLs it; the id. */
async function enqueueThenKill(mode: 'enqueue' | 'sending'): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, tmp.dir, `${receiver.url}/hook`, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  const id = await new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`child did not enqueue: ${err}`)), 20_000);
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /enqueued (\d+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`child exited (${code}): ${err}`)));
  });
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  return id;
}

const config = () => ({ ...parseConfig('', 'test.yaml'), data_dir: tmp.dir });

describe('outbox survives kill -9', () => {
  for (const mode of ['enqueue', 'sending'] as const) {
    it(`killed ${mode === 'enqueue' ? 'between enqueue and delivery' : 'during the attempt (row left sending)'}: delivered once after restart`, async () => {
      const id = await enqueueThenKill(mode);
      expect(receiver.requests).toHaveLength(0);
      db = openDatabase(tmp.dir);
      migrate(db);
      expect(new Outbox(db).get(id).status).toBe(mode === 'enqueue' ? 'pending' : 'sending');

      const { outbox, worker } = startOutbox({ db, config: config(), log: captureLog().log });
      await receiver.waitFor(1);
      await until(() => outbox.get(id).status === 'sent', 5000, 'sent');
      await worker.stop();
      // a second restart sends nothing more
      const again = startOutbox({ db, config: config(), log: captureLog().log });
      await new Promise((r) => setTimeout(r, 200));
      await again.worker.stop();
      expect(receiver.requests).toHaveLength(1);
      expect(receiver.requests[0]!.headers['idempotency-key']).toBe(`outbox-${id}`);
      expect(JSON.parse(receiver.requests[0]!.body)).toEqual({ event: 'test', mode });
      expect(outbox.get(id)).toMatchObject({ status: 'sent', attempts: mode === 'enqueue' ? 1 : 2 });
    }, 30_000);
  }
});
