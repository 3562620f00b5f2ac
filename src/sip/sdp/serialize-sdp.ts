// serializeSdp: a SessionDescription back into a body, CRLF-terminated lines in the order of
// RFC 8866 §5 (v o s i u e p c b t r z k a, then each m i c b k a). Attributes come out in
// their stored order, so a parsed body comes back line for line.
import type { Connection, MediaDescription, SdpAttribute, SessionDescription } from './session-description.ts';

export function serializeSdp(desc: SessionDescription): string {
  const out: string[] = [];
  const o = desc.origin;
  out.push(`v=${desc.version}`);
  out.push(`o=${o.username} ${o.sessionId} ${o.sessionVersion} ${o.netType} ${o.addrType} ${o.address}`);
  out.push(`s=${desc.name}`);
  if (desc.info !== undefined) out.push(`i=${desc.info}`);
  if (desc.uri !== undefined) out.push(`u=${desc.uri}`);
  for (const e of desc.emails) out.push(`e=${e}`);
  for (const p of desc.phones) out.push(`p=${p}`);
  if (desc.connection !== undefined) out.push(connectionLine(desc.connection));
  for (const b of desc.bandwidths) out.push(`b=${b}`);
  const timings = desc.timings.length > 0 ? desc.timings : [{ start: '0', stop: '0', repeats: [] }];
  for (const t of timings) {
    out.push(`t=${t.start} ${t.stop}`);
    for (const r of t.repeats) out.push(`r=${r}`);
  }
  if (desc.zone !== undefined) out.push(`z=${desc.zone}`);
  if (desc.key !== undefined) out.push(`k=${desc.key}`);
  for (const a of desc.attributes) out.push(attributeLine(a));
  for (const m of desc.media) mediaLines(m, out);
  return out.join('\r\n') + '\r\n';
}

function mediaLines(m: MediaDescription, out: string[]): void {
  const port = m.portCount === undefined ? `${m.port}` : `${m.port}/${m.portCount}`;
  out.push(['m=' + m.type, port, m.proto, ...m.formats].join(' '));
  if (m.info !== undefined) out.push(`i=${m.info}`);
  if (m.connection !== undefined) out.push(connectionLine(m.connection));
  for (const b of m.bandwidths) out.push(`b=${b}`);
  if (m.key !== undefined) out.push(`k=${m.key}`);
  for (const a of m.attributes) out.push(attributeLine(a));
}

function connectionLine(c: Connection): string {
  return `c=${c.netType} ${c.addrType} ${c.address}${c.multicast ?? ''}`;
}

/** One a= line (without CRLF). */
export function attributeLine(a: SdpAttribute): string {
  switch (a.kind) {
    case 'rtpmap':
      return `a=rtpmap:${a.pt} ${a.name}/${a.rate}${a.channels === undefined ? '' : `/${a.channels}`}`;
    case 'fmtp':
      return a.params.length > 0 ? `a=fmtp:${a.format} ${a.params}` : `a=fmtp:${a.format}`;
    case 'ptime':
      return `a=ptime:${a.ms}`;
    case 'maxptime':
      return `a=maxptime:${a.ms}`;
    case 'direction':
      return `a=${a.direction}`;
    case 'rtcp':
      return a.address === undefined ? `a=rtcp:${a.port}` : `a=rtcp:${a.port} ${a.netType ?? 'IN'} ${a.addrType ?? 'IP4'} ${a.address}`;
    case 'rtcp-mux':
      return 'a=rtcp-mux';
    case 'other':
      return a.value === undefined ? `a=${a.name}` : `a=${a.name}:${a.value}`;
  }
}
