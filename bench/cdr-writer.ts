// Benchmark: how many call events per second the CDR writer sustains (src/cdr/cdr-writer.ts).
// A real database in a temp data directory (WAL, synchronous=NORMAL, as the server opens it) and
// the real call event bus. Each simulated call publishes the 11 events a recorded two-leg call
// does: call.started, 2× leg.started, 2× leg.answered, call.answered, recording.started,
// 2× leg.ended, call.ended, recording.finished (that one stats the WAV for its size).
// Modes:
//   autocommit        groupCommit off: every event is its own SQLite transaction (E/turn as
//                     below: the yields cost the same in both modes)
//   group, E/turn     group commit with E events published per event-loop turn, then a yield
//                     (E = 1 is the worst case: every event alone in its turn; at 1,000 calls/s
//                     a real server sees several per turn)
// Usage: node --import tsx bench/cdr-writer.ts [CALLS=20000]
// Prints one JSON object. Not a test: nothing here asserts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CallEventBus, type CallEventMap, type CallEventName } from '../src/calls/call-events.ts';
import { CdrWriter } from '../src/cdr/cdr-writer.ts';
import { openDatabase } from '../src/db/open.ts';
import { migrate } from '../src/db/migrate.ts';

const CALLS = Number(process.argv[2] ?? 20_000);
const EVENTS_PER_CALL = 11;

type Ev = { [K in CallEventName]: [K, CallEventMap[K]] }[CallEventName];

function callEvents(i: number, tenantId: number, wav: string): Ev[] {
  const callId = `bench-${i}`;
  const at = 1_700_000_000_000 + i * 10;
  const a = `${callId}-a`;
  const b = `${callId}-b`;
  return [
    ['call.started', { callId, tenantId, at, direction: 'internal', caller: { number: '1001', extensionId: 1, name: 'Alice' }, callee: { number: '1002', extensionId: 2 }, sipCallId: `${callId}@bench` }],
    ['leg.started', { callId, legId: a, at, direction: 'inbound', party: { number: '1001', extensionId: 1 }, target: 'sip:1001@192.0.2.1:5060' }],
    ['leg.started', { callId, legId: b, at: at + 5, direction: 'outbound', party: { number: '1002', extensionId: 2 }, target: 'sip:1002@192.0.2.2:5060' }],
    ['leg.answered', { callId, legId: b, at: at + 3000 }],
    ['leg.answered', { callId, legId: a, at: at + 3000 }],
    ['call.answered', { callId, legId: b, at: at + 3000 }],
    ['recording.started', { callId, tenantId, at: at + 3000, path: wav }],
    ['leg.ended', { callId, legId: b, at: at + 60_000, disposition: 'answered', hangupBy: 'caller' }],
    ['leg.ended', { callId, legId: a, at: at + 60_000, disposition: 'answered', hangupBy: 'caller' }],
    ['call.ended', { callId, at: at + 60_000, disposition: 'answered', hangupBy: 'caller', sipCode: 200 }],
    ['recording.finished', { callId, at: at + 60_000, path: wav, seconds: 57 }],
  ];
}

const turn = () => new Promise<void>((r) => setImmediate(r));

async function run(mode: { groupCommit: boolean; perTurn: number }): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'pbx-bench-cdr-'));
  try {
    const db = openDatabase(dir);
    migrate(db);
    const tenantId = Number(db.sqlite.prepare("INSERT INTO tenant (name, is_default, created_at) VALUES ('bench', 1, 0)").run().lastInsertRowid);
    const wav = join(dir, 'rec.wav');
    writeFileSync(wav, Buffer.alloc(44 + 57 * 32_000));
    const bus = new CallEventBus();
    const writer = new CdrWriter(db, { groupCommit: mode.groupCommit }).attach(bus);
    // Calls interleave as on a busy server: call i starts while earlier ones are mid-way.
    const streams = Array.from({ length: CALLS }, (_, i) => callEvents(i, tenantId, wav));
    const order: Ev[] = [];
    const window = 50;
    for (let base = 0; base < CALLS; base += window) {
      const group = streams.slice(base, base + window);
      for (let step = 0; step < EVENTS_PER_CALL; step++) for (const s of group) order.push(s[step]!);
    }
    const t0 = performance.now();
    let inTurn = 0;
    for (const [name, event] of order) {
      bus.emit(name, event as never);
      if (++inTurn >= mode.perTurn) {
        inTurn = 0;
        await turn();
      }
    }
    writer.flush();
    const ms = performance.now() - t0;
    writer.stop();
    const calls = db.sqlite.prepare("SELECT count(*) FROM call WHERE disposition = 'answered' AND billable_s = 57").pluck().get();
    const recs = db.sqlite.prepare("SELECT count(*) FROM recording WHERE status = 'complete'").pluck().get();
    db.close();
    return {
      mode: mode.groupCommit ? `group, ${mode.perTurn}/turn` : `autocommit, ${mode.perTurn}/turn`,
      events: order.length,
      ms: Math.round(ms),
      eventsPerSecond: Math.round((order.length / ms) * 1000),
      callsPerSecond: Math.round((CALLS / ms) * 1000),
      usPerEvent: Number(((ms * 1000) / order.length).toFixed(2)),
      rowsOk: calls === CALLS && recs === CALLS,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const results = [];
for (const mode of [
  { groupCommit: false, perTurn: 1 },
  { groupCommit: false, perTurn: 1000 },
  { groupCommit: true, perTurn: 1 },
  { groupCommit: true, perTurn: 10 },
  { groupCommit: true, perTurn: 100 },
  { groupCommit: true, perTurn: 1000 },
]) {
  results.push(await run(mode));
}
console.log(JSON.stringify({ bench: 'cdr-writer', calls: CALLS, eventsPerCall: EVENTS_PER_CALL, node: process.version, results }, null, 2));
