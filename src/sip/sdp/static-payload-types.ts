// The static RTP payload types of RFC 3551 §6 (tables 4 and 5, as kept by IANA): a format
// listed on an m= line without an a=rtpmap takes its encoding from here. Reserved and
// unassigned numbers (1, 2, 19–24, 27, 29, 30, 35–95) have no entry.

export interface StaticPayloadType {
  name: string;
  rate: number;
  /** Audio channels; absent for video and where RFC 3551 leaves it open (MPA). */
  channels?: number;
}

const TABLE: ReadonlyMap<number, StaticPayloadType> = new Map<number, StaticPayloadType>([
  [0, { name: 'PCMU', rate: 8000, channels: 1 }],
  [3, { name: 'GSM', rate: 8000, channels: 1 }],
  [4, { name: 'G723', rate: 8000, channels: 1 }],
  [5, { name: 'DVI4', rate: 8000, channels: 1 }],
  [6, { name: 'DVI4', rate: 16000, channels: 1 }],
  [7, { name: 'LPC', rate: 8000, channels: 1 }],
  [8, { name: 'PCMA', rate: 8000, channels: 1 }],
  // G.722 samples at 16 kHz but is signalled with an 8000 Hz RTP clock (RFC 3551 §4.5.2).
  [9, { name: 'G722', rate: 8000, channels: 1 }],
  [10, { name: 'L16', rate: 44100, channels: 2 }],
  [11, { name: 'L16', rate: 44100, channels: 1 }],
  [12, { name: 'QCELP', rate: 8000, channels: 1 }],
  [13, { name: 'CN', rate: 8000, channels: 1 }],
  [14, { name: 'MPA', rate: 90000 }],
  [15, { name: 'G728', rate: 8000, channels: 1 }],
  [16, { name: 'DVI4', rate: 11025, channels: 1 }],
  [17, { name: 'DVI4', rate: 22050, channels: 1 }],
  [18, { name: 'G729', rate: 8000, channels: 1 }],
  [25, { name: 'CelB', rate: 90000 }],
  [26, { name: 'JPEG', rate: 90000 }],
  [28, { name: 'nv', rate: 90000 }],
  [31, { name: 'H261', rate: 90000 }],
  [32, { name: 'MPV', rate: 90000 }],
  [33, { name: 'MP2T', rate: 90000 }],
  [34, { name: 'H263', rate: 90000 }],
]);

/** The RFC 3551 encoding of a static payload type, or undefined (dynamic, reserved, unassigned). */
export function staticPayloadType(pt: number): StaticPayloadType | undefined {
  return TABLE.get(pt);
}
