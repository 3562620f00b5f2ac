// The CDR writer's thread (cdr-writer-thread.ts starts it): its own connection to the database
// file, a CdrWriter committing each batch the main thread posts, and the number of the last
// batch committed published in shared memory, so the main thread can wait for it (flush).
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../db/open.ts';
import { createLogger } from '../log.ts';
import { CdrWriter, type CdrEvent } from './cdr-writer.ts';

export interface CdrWorkerData {
  cdrWriter: { dataDir: string; logLevel: string; done: SharedArrayBuffer };
}

const data = workerData as Partial<CdrWorkerData> | null;
if (parentPort !== null && data?.cdrWriter !== undefined) {
  const { dataDir, logLevel, done } = data.cdrWriter;
  const committed = new Int32Array(done);
  const db = openDatabase(dataDir);
  const writer = new CdrWriter(db, { log: createLogger(logLevel as never), groupCommit: false });
  const port = parentPort;
  port.on('message', (m: { ops: CdrEvent[]; seq: number } | { close: true }) => {
    if ('close' in m) {
      db.sqlite.close();
      port.close();
      return;
    }
    writer.commit(m.ops);
    Atomics.store(committed, 0, m.seq);
    Atomics.notify(committed, 0);
  });
  port.postMessage('ready');
}
