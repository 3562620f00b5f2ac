// RFC 4733 telephone-event sender: the packet sequence for one key press, as a pure schedule the
// player or relay sends on its own clock (no timers here).
//
// Packet i (i = 0, 1, …) goes out at i × interval with duration min((i+1) × interval, total): each
// update covers the interval that follows it, like an audio packet covers its frame, so the first
// packet already carries a non-zero duration (some receivers drop duration 0). The last update is
// the end packet (E bit), sent three times at the update interval (§2.5.1.4). All packets of an
// event carry its start timestamp (§2.5.1.2); the marker is set on the first packet only. Events
// longer than 0xFFFF timestamp units are split into segments (§2.5.1.3): the next segment's
// timestamp is the previous one plus 0xFFFF, without marker; only the last segment ends with E.
//
// The caller owns the stream (SSRC, sequence, timestamp) so events interleave with its audio: it
// passes the next sequence number and the timestamp of "now", stops sending audio for the
// event's span, and continues with `nextSequence` and `nextTimestamp`. If audio resumes while the
// trailing end packets are still to be sent, renumber each packet at send time with
// setRtpSequence() so sequence numbers stay in sending order.

import { RTP_HEADER_SIZE, writeRtpHeader } from './rtp-packet.ts';
import { digitToEvent, type DtmfDigit } from './dtmf-digit.ts';

export interface DtmfSendOptions {
  payloadType: number;
  ssrc: number;
  /** Sequence number of the first packet. */
  sequence: number;
  /** RTP timestamp at the start of the event (the stream's clock now). */
  timestamp: number;
  /** Tone duration; default 100 ms, at least 40 ms. */
  durationMs?: number;
  /** Update interval; default 50 ms (RFC 4733 §2.5.1.2 suggests 50 ms). */
  intervalMs?: number;
  /** Power level 0–63 (-dBm0); default 10. */
  volume?: number;
  /** telephone-event clock rate; default 8000. */
  clockRate?: number;
  /** How many times the end packet is sent; default 3. */
  endPackets?: number;
}

export interface DtmfPacket {
  /** Send time, ms after the event starts. */
  at: number;
  data: Buffer;
  sequence: number;
  end: boolean;
}

export interface DtmfSendPlan {
  packets: DtmfPacket[];
  /** Sequence number for the stream's next packet. */
  nextSequence: number;
  /** Timestamp where the event ends (start + duration): where audio continues. */
  nextTimestamp: number;
  /** Duration actually sent, in timestamp units. */
  durationSamples: number;
  /** When the tone ends, ms after start (audio may resume from here). */
  endsAt: number;
}

export const DTMF_MIN_DURATION_MS = 40;
const MAX_SEGMENT = 0xffff;

/** Builds the packets for one key. Throws RangeError for a character that is not a DTMF key (caller input, not peer input). */
export function buildDtmfEvent(digit: DtmfDigit | string, opts: DtmfSendOptions): DtmfSendPlan {
  const event = digitToEvent(digit);
  if (event === undefined) throw new RangeError(`not a DTMF digit: ${JSON.stringify(digit)}`);
  const clockRate = opts.clockRate ?? 8000;
  const intervalMs = Math.max(10, opts.intervalMs ?? 50);
  const durationMs = Math.max(DTMF_MIN_DURATION_MS, opts.durationMs ?? 100);
  const volume = Math.min(63, Math.max(0, Math.round(opts.volume ?? 10)));
  const endPackets = Math.max(1, opts.endPackets ?? 3);
  const total = Math.round((durationMs * clockRate) / 1000);
  const step = Math.round((intervalMs * clockRate) / 1000);

  const packets: DtmfPacket[] = [];
  let sequence = opts.sequence & 0xffff;
  const push = (at: number, ts: number, marker: boolean, end: boolean, duration: number): void => {
    const data = Buffer.allocUnsafe(RTP_HEADER_SIZE + 4);
    writeRtpHeader(data, { marker, payloadType: opts.payloadType, sequence, timestamp: ts, ssrc: opts.ssrc });
    data[RTP_HEADER_SIZE] = event;
    data[RTP_HEADER_SIZE + 1] = (end ? 0x80 : 0) | volume;
    data.writeUInt16BE(duration, RTP_HEADER_SIZE + 2);
    packets.push({ at, data, sequence, end });
    sequence = (sequence + 1) & 0xffff;
  };

  // Updates at 0, step, 2·step, … (elapsed time in timestamp units), each announcing the duration
  // up to the next update; the update that reaches `total` is the end.
  let segmentStart = 0; // elapsed units where the current segment began
  let first = true;
  for (let elapsed = 0; ; elapsed += step) {
    const reach = Math.min(elapsed + step, total);
    // Cross into new segments while the duration would not fit the field.
    while (reach - segmentStart > MAX_SEGMENT) {
      // Close the segment at exactly 0xFFFF (no E bit: the event goes on) and start the next.
      push(unitsToMs(elapsed, clockRate), (opts.timestamp + segmentStart) >>> 0, first, false, MAX_SEGMENT);
      first = false;
      segmentStart += MAX_SEGMENT;
    }
    const ts = (opts.timestamp + segmentStart) >>> 0;
    const at = unitsToMs(elapsed, clockRate);
    if (reach >= total) {
      for (let r = 0; r < endPackets; r++) {
        push(at + r * intervalMs, ts, first && r === 0, true, reach - segmentStart);
      }
      break;
    }
    push(at, ts, first, false, reach - segmentStart);
    first = false;
  }

  return {
    packets,
    nextSequence: sequence,
    nextTimestamp: (opts.timestamp + total) >>> 0,
    durationSamples: total,
    endsAt: unitsToMs(total, clockRate),
  };
}

/** Rewrites the sequence number of a packet built here (or any RTP packet) in place. */
export function setRtpSequence(packet: Buffer, sequence: number): void {
  packet.writeUInt16BE(sequence & 0xffff, 2);
}

function unitsToMs(units: number, clockRate: number): number {
  return Math.round((units * 1000) / clockRate);
}
