// ============================================================================================
// ASSUMPTIONS ABOUT THE PBX'S CALL OBSERVABILITY, IN ONE PLACE (test/e2e/calls.test.ts uses them).
// Written before call control existed: adapt THIS file if the PBX exposes them differently.
//
//   - GET /metrics (no token) carries, in the Prometheus text format, the RTP packets the media
//     relay handled, cumulative:  pbx_media_rtp_packets_total{direction="in"} N   (received
//     from phones)  and  {direction="out"} N  (sent to phones); other labels are summed over.
//   - GET /cdrs (Bearer token) -> {"items": [CallRecord...], "nextCursor": ...}, newest first,
//     filterable with ?extension=N; a CallRecord has callerNumber, calleeNumber, disposition
//     ("answered" | "busy" | "no-answer" | "cancelled" | "failed" | "rejected"), reason,
//     recordingId (src/cdr/cdr-service.ts).
//   - `pbx cdr list --json` prints the same records (an array, or {"items": [...]}).
//   - GET /recordings/<recordingId> (Bearer token) -> the call's WAV file.
//   - GET /calls (Bearer token) -> the calls in progress (an array, or {items}), each with a
//     state ("ringing" | "answered" | ...) (src/calls/live-calls.ts).
//   - After a kill -9 during a call, the next start closes the call record as
//     disposition "failed" with a reason mentioning "interrupted", and the recording file is
//     a valid WAV (RIFF/data sizes fixed up to the bytes on disk).
// ============================================================================================
import { expect } from 'vitest';
import type { PbxProcess } from './pbx-process.ts';

export interface RtpCounters {
  in: number;
  out: number;
}

export interface CallRecordLike {
  id?: string;
  callerNumber?: string;
  calleeNumber?: string;
  disposition?: string | null;
  reason?: string | null;
  recordingId?: number | null;
  [key: string]: unknown;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** RTP packets in/out so far, summed over every series of pbx_media_rtp_packets_total. */
export async function rtpCounters(pbx: PbxProcess): Promise<RtpCounters> {
  const text = await (await pbx.api('/metrics')).text();
  const counters: RtpCounters = { in: 0, out: 0 };
  for (const line of text.split('\n')) {
    const m = /^pbx_media_rtp_packets_total\{([^}]*)\}\s+([0-9.eE+-]+)/.exec(line);
    const direction = m ? /direction="(in|out)"/.exec(m[1]!)?.[1] : undefined;
    if (m && (direction === 'in' || direction === 'out')) counters[direction] += Number(m[2]);
  }
  return counters;
}

/**
 * RTP went through the PBX both ways since `before`: at least `min` more packets in and out.
 * Polls for up to 5 s (media workers may report their counters periodically).
 */
export async function expectRtpBothWays(pbx: PbxProcess, before: RtpCounters, min = 50): Promise<RtpCounters> {
  let now = await rtpCounters(pbx);
  for (let i = 0; i < 50 && (now.in - before.in <= min || now.out - before.out <= min); i++) {
    await sleep(100);
    now = await rtpCounters(pbx);
  }
  const delta = { in: now.in - before.in, out: now.out - before.out };
  expect(delta.in, `pbx_media_rtp_packets_total{direction="in"} grew by ${delta.in}`).toBeGreaterThan(min);
  expect(delta.out, `pbx_media_rtp_packets_total{direction="out"} grew by ${delta.out}`).toBeGreaterThan(min);
  return delta;
}

/** The call records GET /cdrs lists (newest first), optionally for one extension. */
export async function listCdrs(pbx: PbxProcess, token: string, extension?: string): Promise<CallRecordLike[]> {
  const res = await pbx.api(`/cdrs${extension ? `?extension=${encodeURIComponent(extension)}` : ''}`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  expect(res.status, `GET /cdrs: ${res.status}`).toBe(200);
  const body = (await res.json()) as { items?: CallRecordLike[] } | CallRecordLike[];
  return Array.isArray(body) ? body : (body.items ?? []);
}

/**
 * The call from `caller` to `callee` has a record with `disposition` (polls up to 5 s: the
 * record may be closed just after the last BYE). Returns the record.
 */
export async function expectCallRecord(
  pbx: PbxProcess,
  token: string,
  call: { caller: string; callee: string; disposition: string },
): Promise<CallRecordLike> {
  let found: CallRecordLike | undefined;
  let items: CallRecordLike[] = [];
  for (let i = 0; i < 50; i++) {
    items = await listCdrs(pbx, token, call.callee);
    found = items.find((r) => r.callerNumber === call.caller && r.calleeNumber === call.callee && r.disposition === call.disposition);
    if (found) break;
    await sleep(100);
  }
  expect(found, `no call record ${call.caller} -> ${call.callee} "${call.disposition}" in ${JSON.stringify(items, null, 1)}`).toBeDefined();
  return found!;
}

/** `pbx cdr list --json`, parsed (an array, or {items}). */
export function cdrListCli(pbx: PbxProcess): CallRecordLike[] {
  const r = pbx.cli('cdr', 'list', '--json');
  expect(r.status, `pbx cdr list --json: ${r.stderr}`).toBe(0);
  const body = JSON.parse(r.stdout) as { items?: CallRecordLike[] } | CallRecordLike[];
  return Array.isArray(body) ? body : (body.items ?? []);
}

/** After the crash and restart: the call is closed as failed, "interrupted". Returns the record. */
export function expectInterruptedCall(records: CallRecordLike[], call: { caller: string; callee: string }): CallRecordLike {
  const record = records.find((r) => r.callerNumber === call.caller && r.calleeNumber === call.callee);
  expect(record, `no call record ${call.caller} -> ${call.callee} in ${JSON.stringify(records, null, 1)}`).toBeDefined();
  expect(record!.disposition, JSON.stringify(record)).toBe('failed');
  expect(String(record!.reason ?? ''), JSON.stringify(record)).toMatch(/interrupted/i);
  return record!;
}

/** A RIFF/WAVE file whose sizes agree with its length and whose data chunk is not empty. */
export function expectValidWav(wav: Buffer): { dataBytes: number } {
  expect(wav.length, 'WAV length').toBeGreaterThan(44);
  expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
  expect(wav.toString('ascii', 8, 12)).toBe('WAVE');
  expect(wav.readUInt32LE(4), 'RIFF size = file size - 8').toBe(wav.length - 8);
  let offset = 12;
  let data: { at: number; size: number } | undefined;
  for (let i = 0; i < 64 && offset + 8 <= wav.length; i++) {
    const id = wav.toString('ascii', offset, offset + 4);
    const size = wav.readUInt32LE(offset + 4);
    if (id === 'data') {
      data = { at: offset + 8, size };
      break;
    }
    offset += 8 + size + (size & 1);
  }
  expect(data, 'a data chunk').toBeDefined();
  expect(data!.size, 'data chunk length').toBeGreaterThan(0);
  expect(data!.at + data!.size, 'data chunk ends at the end of the file').toBe(wav.length);
  return { dataBytes: data!.size };
}

/** GET /recordings/<id>: a valid WAV with audio in it. */
export async function expectRecordingWav(pbx: PbxProcess, token: string, recordingId: number): Promise<{ dataBytes: number }> {
  const res = await pbx.api(`/recordings/${recordingId}`, { headers: { Authorization: `Bearer ${token}` } });
  expect(res.status, `GET /recordings/${recordingId}: ${res.status}`).toBe(200);
  return expectValidWav(Buffer.from(await res.arrayBuffer()));
}

/**
 * Waits (up to `timeoutMs`) until GET /calls shows a call in state "answered"; returns it.
 * Used by the crash test to kill the PBX in the middle of a connected call.
 */
export async function waitForAnsweredCall(pbx: PbxProcess, token: string, timeoutMs = 10_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const res = await pbx.api('/calls', { headers: { Authorization: `Bearer ${token}` } });
    last = `${res.status} ${await res.text()}`;
    if (res.status === 200) {
      const body = JSON.parse(last.slice(4)) as { items?: Record<string, unknown>[] } | Record<string, unknown>[];
      const calls = Array.isArray(body) ? body : (body.items ?? []);
      const answered = calls.find((c) => c.state === 'answered');
      if (answered) return answered;
    }
    await sleep(100);
  }
  throw new Error(`no answered call in GET /calls within ${timeoutMs} ms; last answer: ${last}`);
}
