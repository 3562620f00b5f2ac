// LegRtcp's schedule and its SR/RR choice, with an injected clock and random source, on a real
// RelayEndpoint bound to loopback.
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { LegRtcp, type RtcpSenderState } from '../../src/media/leg-rtcp.ts';
import { RelayEndpoint } from '../../src/media/relay-endpoint.ts';
import { ntpFromUnixMs, parseRtcpCompound } from '../../src/media/rtcp-report.ts';
import { buildRtpPacket } from '../../src/media/rtp-packet.ts';
import { Phone } from './relay-fixtures.ts';

const open: Array<{ close(): void }> = [];

async function bound(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((res) => s.bind(0, '127.0.0.1', () => res()));
  return s;
}

async function setup(opts: { sender?: () => RtcpSenderState | null } = {}) {
  const endpoint = new RelayEndpoint(0, await bound(), await bound(), { relatchSilenceMs: 2000, relatchPackets: 3 });
  const phone = await Phone.open();
  open.push(endpoint, phone);
  let now = 1000;
  const rtcp = new LegRtcp(endpoint, { intervalMs: 5000, random: () => 0.5, now: () => now, wallClock: () => 1_700_000_000_000, ssrc: 0xaaaa, cname: 'leg', ...opts });
  endpoint.reporter = rtcp;
  return { endpoint, phone, rtcp, at: (t: number) => (now = t) };
}

afterEach(() => {
  for (const x of open.splice(0)) x.close();
});

describe('LegRtcp', () => {
  it('waits for a destination, reports half an interval later, then once per interval', async () => {
    const { endpoint, phone, rtcp, at } = await setup();
    expect(rtcp.poll()).toBe(false); // no destination yet
    endpoint.configure({ address: '127.0.0.1', port: 9, rtcpPort: phone.port }, false, undefined, true);
    at(2000);
    expect(rtcp.poll()).toBe(false); // scheduled: 2000 + 5000 × 0.5 × (0.5 + 0.5)
    at(4499);
    expect(rtcp.poll()).toBe(false);
    at(4500);
    expect(rtcp.poll()).toBe(true);
    at(9499);
    expect(rtcp.poll()).toBe(false);
    at(9500);
    expect(rtcp.poll()).toBe(true);
    expect(endpoint.rtcpSent).toBe(2);
    const r = parseRtcpCompound((await phone.next())!.msg)!;
    expect(r.senderReport).toBeUndefined();
    expect(r.cname).toBe('leg');
    rtcp.stop();
    at(20_000);
    expect(rtcp.poll()).toBe(false); // stopped: starts over from half an interval
  });

  it('SR only when the stream sent packets since the previous report; a block only when the phone was heard', async () => {
    const stream = { ssrc: 0xbbbb, packets: 0, octets: 0, rtpTimestamp: 12345 };
    const { endpoint, phone, rtcp, at } = await setup({ sender: () => ({ ...stream }) });
    endpoint.configure({ address: '127.0.0.1', port: 9, rtcpPort: phone.port }, false, undefined, true);
    rtcp.poll();
    const report = async (t: number) => {
      at(t);
      expect(rtcp.poll()).toBe(true);
      return parseRtcpCompound((await phone.next())!.msg)!;
    };
    for (let i = 0; i < 3; i++) rtcp.rtp(buildRtpPacket({ marker: false, payloadType: 0, sequence: 10 + i, timestamp: i * 160, ssrc: 0xcccc }, Buffer.alloc(160)));
    stream.packets = 50;
    stream.octets = 8000;
    const first = await report(10_000);
    expect(first.senderReport).toEqual({ ssrc: 0xbbbb, ntp: ntpFromUnixMs(1_700_000_000_000), lsr: expect.any(Number), rtpTimestamp: 12345, packets: 50, octets: 8000 });
    expect(first.blocks).toMatchObject([{ reporter: 0xbbbb, ssrc: 0xcccc, highestSeq: 12, cumulativeLost: 0 }]);
    const second = await report(20_000);
    expect(second.senderReport).toBeUndefined(); // nothing sent since
    expect(second.blocks).toEqual([]); // nothing heard since
    expect(rtcp.ssrc).toBe(0xbbbb);
  });

  it('sends BYE only to a phone that heard from the leg', async () => {
    const { endpoint, phone, rtcp, at } = await setup();
    endpoint.configure({ address: '127.0.0.1', port: 9, rtcpPort: phone.port }, false, undefined, true);
    expect(rtcp.bye()).toBe(false);
    rtcp.poll();
    at(10_000);
    rtcp.poll();
    await phone.next();
    expect(rtcp.bye()).toBe(true);
    expect(parseRtcpCompound((await phone.next())!.msg)!.bye).toEqual([0xaaaa]);
  });
});
