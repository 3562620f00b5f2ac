// Child process of kill-restart.test.ts: opens the data directory's database, enqueues one
// webhook to the receiver and then waits to be killed (SIGKILL), printing "enqueued <id>".
// Mode "enqueue": no worker at all. Mode "sending": a worker whose provider never answers, so
// the message is left `sending` when the kill comes.
import { openDatabase } from '../../src/db/open.ts';
import { migrate } from '../../src/db/migrate.ts';
import { Outbox, OutboxWorker, type OutboxProvider } from '../../src/notify/index.ts';
import { pino } from 'pino';

const [dataDir, url, mode = 'enqueue'] = process.argv.slice(2);
if (!dataDir || !url) throw new Error('usage: enqueue-and-hang.ts DATA_DIR URL [enqueue|sending]');
const db = openDatabase(dataDir);
migrate(db);
const outbox = new Outbox(db);
const r = db.sqlite.transaction(() => outbox.enqueue({ channel: 'webhook', purpose: 'test', recipient: url, body: JSON.stringify({ event: 'test', mode }), dedupeKey: `kill-test:${mode}` }))();
if (!('id' in r)) throw new Error('duplicate');
if (mode === 'sending') {
  const never: OutboxProvider = { send: () => new Promise<void>(() => {}) };
  const worker = new OutboxWorker({ db, providers: { sms: never, webhook: never }, log: pino({ level: 'silent' }), timeoutMs: 60_000, outbox });
  worker.start();
  const wait = setInterval(() => {
    const status = db.sqlite.prepare<[number], string>('SELECT status FROM outbox WHERE id = ?').pluck().get(r.id);
    if (status === 'sending') {
      clearInterval(wait);
      process.stdout.write(`enqueued ${r.id}\n`);
    }
  }, 5);
} else {
  process.stdout.write(`enqueued ${r.id}\n`);
}
setInterval(() => {}, 60_000); // wait for the kill
