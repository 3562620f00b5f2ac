// Turning an m= line down (RFC 3264 §6 in an answer, §8.2 in an offer): port 0 with the same
// media type, proto and formats (an m= line must keep at least one), and nothing else.
import type { MediaDescription } from './session-description.ts';

export function declineMedia(m: MediaDescription): MediaDescription {
  return { type: m.type, port: 0, proto: m.proto, formats: [...m.formats], bandwidths: [], attributes: [] };
}
