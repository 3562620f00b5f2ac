// src/media/: the media engine, pure TypeScript over node:dgram (ARCHITECTURE.md "Process model").
//
// What the rest of the PBX uses — only the facade; everything else runs inside media workers:
//   MediaEngine (engine.ts)       sessions of two RTP legs relayed across worker threads:
//                                 createSession / connect / update / destroy / stats, events
//                                 rtpTimeout, sessionEnded, workerExit; PortsExhaustedError → 503.
//   parseDtmfInfo / formatDtmfInfo (dtmf-sip-info.ts)  SIP INFO DTMF bodies for call control.
//   readPromptWav / MediaFormatError (wav-reader.ts), repairRecordings (wav-writer.ts).
//
// The building blocks the workers run (not yet behind engine commands play/record/collectDigits/mix):
//   rtp-packet.ts        RTP header read/write, wrap-safe sequence/timestamp distance
//   g711.ts              A-law/µ-law tables, A↔µ transcoding
//   relay-endpoint.ts, relay-session.ts, port-allocator.ts, media-worker.ts, media-protocol.ts
//   jitter-buffer.ts (+ jitter-delay.ts)   adaptive playout for terminated media
//   dtmf-receiver.ts, dtmf-sender.ts       RFC 4733; dtmf-tone-detector.ts / -generator.ts in-band
//   player.ts, playout-clock.ts, prompt-library.ts   prompts as paced 20 ms RTP
//   call-recorder.ts, wav-writer.ts        two-channel crash-safe recording
export { MediaEngine, type MediaEngineOptions, type SessionInfo, type RtpTimeoutEvent, type SessionEndedEvent } from './engine.ts';
export { PortsExhaustedError } from './port-allocator.ts';
export { MediaCommandError, type LegConfig, type SessionOptions } from './media-protocol.ts';
export { parseDtmfInfo, formatDtmfInfo, sipInfoToRtpEvents, rtpEventToSipInfo } from './dtmf-sip-info.ts';
export { readPromptWav, MediaFormatError } from './wav-reader.ts';
export { repairRecordings } from './wav-writer.ts';
