// src/media/: the media engine, pure TypeScript over node:dgram (ARCHITECTURE.md "Process model").
//
// What the rest of the PBX uses — only the facade; everything else runs inside media workers:
//   MediaEngine (engine.ts)       sessions of two RTP legs (A, B) relayed across worker threads:
//                                 createSession / connect / disconnect / update / destroy / stats;
//                                 play(session, leg, {prompts|files|tones, loop, interruptible}) → {playId},
//                                   stopPlay(session, leg, playId?);
//                                 collectDigits(session, leg, {telephoneEventPt, rfc4733, inband}), stopDigits;
//                                 sendDtmf(session, leg, digit, {durationMs}) (SIP INFO → RFC 4733);
//                                 record(session, {path}) / stopRecord (stereo WAV, A left, B right);
//                                 recordMessage(session, leg, {path, maxSeconds, silenceSeconds, silenceThresholdDbov?,
//                                   stopOnDigits?}) / stopMessage(session, leg) (voicemail: one leg, mono WAV);
//                                 mix reserved (answers MediaCommandError 'not implemented').
//                                 sessionStats: per leg counters, RTCP reports sent (rtcpSent) and, where the
//                                   PBX terminated the media, reception (lost, jitter, the phone's own report);
//                                 Events rtpTimeout, sessionEnded, workerExit, stats,
//                                 dtmf {sessionId, leg, digit, durationMs, source: rfc4733|inband},
//                                 playDone {sessionId, leg, playId, reason: finished|stopped|interrupted, packets},
//                                 recordDone {sessionId, path, seconds, error?},
//                                 messageDone {sessionId, leg, path, seconds, reason: max-length|silence|digit|stopped|error,
//                                   digit?, error?}.
//                                 PortsExhaustedError → 503; MediaCommandError for what a caller got wrong.
//   parseDtmfInfo / formatDtmfInfo (dtmf-sip-info.ts)  SIP INFO DTMF bodies for call control.
//   readPromptWav / MediaFormatError (wav-reader.ts), repairRecordings (wav-writer.ts).
//
// Inside the workers (media-worker.ts runs them; session-media.ts + leg-media.ts put the building
// blocks behind the commands above, opt-in per session so the plain relay path stays lean;
// play-request.ts turns play arguments into audio):
//   rtp-packet.ts        RTP header read/write, wrap-safe sequence/timestamp distance
//   rtcp-report.ts       RTCP SR/RR + SDES CNAME (+ BYE) compound packets built and parsed (RFC 3550 §6.4–6.6)
//   rtp-receive-stats.ts per-source receive statistics: probation, cycles, loss, jitter, LSR/DLSR (RFC 3550 A.1/A.3/A.8)
//   leg-rtcp.ts          RTCP relayed while a session is connected; while it is not (IVR, prompts) the worker
//                        reports itself: SR (it sent RTP since the last report) or RR every ~5 s, BYE at the end
//   g711.ts              A-law/µ-law tables, A↔µ transcoding
//   relay-endpoint.ts, relay-session.ts, port-allocator.ts, media-worker.ts, media-protocol.ts
//   jitter-buffer.ts (+ jitter-delay.ts)   adaptive playout for terminated media
//   dtmf-receiver.ts, dtmf-sender.ts       RFC 4733; dtmf-tone-detector.ts / -generator.ts in-band
//   player.ts, playout-clock.ts, prompt-library.ts   prompts as paced 20 ms RTP
//   call-recorder.ts, wav-writer.ts        two-channel crash-safe recording (mono for one leg)
//   message-recorder.ts                    voice messages: one leg, ends on length/silence/key
export {
  MediaEngine,
  type MediaEngineOptions,
  type SessionInfo,
  type RtpTimeoutEvent,
  type SessionEndedEvent,
  type DtmfEvent,
  type PlayDoneEvent,
  type RecordDoneEvent,
  type PlayArgs,
  type PromptRef,
  type ToneSpec,
  type CollectDigitsArgs,
  type SendDtmfArgs,
  type RecordResult,
  type RecordMessageArgs,
  type MessageDoneEvent,
  type MessageResult,
} from './engine.ts';
export { PortsExhaustedError } from './port-allocator.ts';
export { MediaCommandError, type LegConfig, type SessionOptions } from './media-protocol.ts';
export { parseDtmfInfo, formatDtmfInfo, sipInfoToRtpEvents, rtpEventToSipInfo } from './dtmf-sip-info.ts';
export { readPromptWav, MediaFormatError } from './wav-reader.ts';
export { repairRecordings } from './wav-writer.ts';
