// Player pacing on the real clock (R-MEDIA-5): does a looping prompt stay on its 20 ms grid for
// minutes, with no drift? Sends over loopback UDP (or in-process with --no-udp), records the
// send time of every packet of the first player and prints JSON.
//
//   node --import tsx bench/player-drift.ts            # 10 minutes, 1 player
//   node --import tsx bench/player-drift.ts 0.5        # 30 seconds
//   node --import tsx bench/player-drift.ts 10 --players 200 --no-udp
//
// offset = actual send time − the packet's slot on the playout clock's grid (anchor + 20 ms × k,
// negative when the timer fired a little early); drift = actual elapsed time between the first
// and the last packet − 20 ms × (packets − 1). The grid moves only if the player re-anchored
// after a stall (reported as `reanchors`, the grid shift they add up to as `reanchorShiftMs`);
// `driftExcludingReanchorsMs` is the drift of the pacing itself. `eventLoopDelayMs` shows how
// much of any lateness was the event loop being held up (a loaded machine), not the player.

import dgram from 'node:dgram';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { PlayoutClock, realClock } from '../src/media/playout-clock.ts';
import { Player } from '../src/media/player.ts';

const args = process.argv.slice(2);
const minutes = Number(args.find((a) => /^[\d.]+$/.test(a)) ?? 10);
const useUdp = !args.includes('--no-udp');
const playersArg = args.indexOf('--players');
const playerCount = playersArg >= 0 ? Number(args[playersArg + 1]) : 1;
const durationMs = minutes * 60_000;

const clock = new PlayoutClock(realClock);
const prompt = new Int16Array(8000 * 3); // 3 s of a 440 Hz tone, looped
for (let i = 0; i < prompt.length; i++) prompt[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000));

const rx = useUdp ? dgram.createSocket('udp4') : undefined;
const tx = useUdp ? dgram.createSocket('udp4') : undefined;
let received = 0;
if (rx) {
  rx.on('message', () => received++);
  await new Promise<void>((r) => rx.bind(0, '127.0.0.1', r));
}
const port = rx ? (rx.address() as { port: number }).port : 0;

const expectedPackets = Math.floor(durationMs / 20) + 1;
const times = new Float64Array(expectedPackets + 16);
const ideal = new Float64Array(expectedPackets + 16); // the playout clock's grid time of each packet's slot
let n = 0;
let sentAll = 0;

const players: Player[] = [];
const stream0 = { ssrc: 0, sequence: 0, timestamp: 0 } as { ssrc: number; sequence: number; timestamp: number; lastSentAt?: number };
for (let i = 0; i < playerCount; i++) {
  const send =
    i === 0
      ? (packet: Buffer) => {
          if (n < times.length) {
            ideal[n] = stream0.lastSentAt!;
            times[n++] = performance.now();
          }
          sentAll++;
          tx?.send(packet, port, '127.0.0.1');
        }
      : (packet: Buffer) => {
          sentAll++;
          tx?.send(packet, port, '127.0.0.1');
        };
  const player = new Player({ codec: i % 2 ? 'PCMU' : 'PCMA', stream: i === 0 ? stream0 : { ssrc: i, sequence: 0, timestamp: 0 }, send, clock });
  players.push(player);
  player.play({ format: 'pcm16', samples: prompt }, { loop: true });
}

const loopDelay = monitorEventLoopDelay({ resolution: 1 });
loopDelay.enable();
const cpu0 = process.cpuUsage();
const wall0 = performance.now();
await new Promise<void>((resolve) => {
  const check = setInterval(() => {
    if (n > 0 && times[n - 1]! - times[0]! >= durationMs) {
      clearInterval(check);
      resolve();
    }
  }, 250);
});
for (const p of players) p.close();
const wall = performance.now() - wall0;
loopDelay.disable();
const cpu = process.cpuUsage(cpu0);
await new Promise((r) => setTimeout(r, 200));
rx?.close();
tx?.close();

// Packets within the measured span (the check may have let a few more through).
let count = n;
while (count > 1 && times[count - 1]! - times[0]! > durationMs + 10) count--;
const offsets = new Float64Array(count);
for (let k = 0; k < count; k++) offsets[k] = times[k]! - ideal[k]!;
const sorted = Float64Array.from(offsets).sort();
const pct = (p: number) => sorted[Math.min(count - 1, Math.floor((p / 100) * count))]!;
const round = (x: number) => Math.round(x * 1000) / 1000;
const intervals = new Float64Array(count - 1);
for (let k = 1; k < count; k++) intervals[k - 1] = times[k]! - times[k - 1]!;
intervals.sort();
// Re-anchoring after a stall moves the grid forward by the time not caught up; what is left
// once those shifts are taken out is the pacing's own drift.
let reanchorShift = 0;
let stalls = 0;
for (let k = 1; k < count; k++) {
  reanchorShift += ideal[k]! - ideal[k - 1]! - 20;
  if (times[k]! - times[k - 1]! > 60) stalls++;
}

console.log(
  JSON.stringify(
    {
      minutes,
      players: playerCount,
      transport: useUdp ? 'udp loopback' : 'in-process',
      packetsSent: count,
      packetsExpected: expectedPackets,
      packetsSentAllPlayers: sentAll,
      packetsReceivedUdp: useUdp ? received : undefined,
      offsetMs: {
        min: round(sorted[0]!),
        p50: round(pct(50)),
        p90: round(pct(90)),
        p99: round(pct(99)),
        p999: round(pct(99.9)),
        max: round(sorted[count - 1]!),
      },
      intervalMs: { min: round(intervals[0]!), p50: round(intervals[Math.floor(intervals.length / 2)]!), max: round(intervals[intervals.length - 1]!) },
      firstOffsetMs: round(offsets[0]!),
      lastOffsetMs: round(offsets[count - 1]!),
      idealElapsedMs: 20 * (count - 1),
      actualElapsedMs: round(times[count - 1]! - times[0]!),
      driftMs: round(times[count - 1]! - times[0]! - 20 * (count - 1)),
      reanchorShiftMs: round(reanchorShift),
      driftExcludingReanchorsMs: round(times[count - 1]! - times[0]! - 20 * (count - 1) - reanchorShift),
      gapsOver60Ms: stalls,
      eventLoopDelayMs: { p50: round(loopDelay.percentile(50) / 1e6), p99: round(loopDelay.percentile(99) / 1e6), max: round(loopDelay.max / 1e6) },
      reanchors: players[0]!.stats.reanchors,
      clockTicks: clock.stats.ticks,
      clockSkippedTicks: clock.stats.skippedTicks,
      cpuPercent: round(((cpu.user + cpu.system) / 1000 / wall) * 100),
    },
    null,
    2,
  ),
);
