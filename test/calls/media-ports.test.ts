// Integration: a PBX whose RTP range holds one call (two port pairs) refuses the next call with
// 503 while the first is up, and takes calls again once it has ended.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { settleCalls, startTestPbx, waitForCalls, type TestPbx } from '../support/test-pbx.ts';

describe('media ports', () => {
  let t: TestPbx;
  beforeAll(async () => {
    t = await startTestPbx({ extensions: [{ number: '6001' }, { number: '6002' }, { number: '6003' }, { number: '6004' }], rtpPorts: 4 });
  });
  afterEach(async () => {
    await settleCalls(t);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('answers 503 when no RTP ports are left, and connects again once they are free', async () => {
    const a = await t.phone('6001');
    const b = await t.phone('6002');
    const c = await t.phone('6003');
    const d = await t.phone('6004');
    const first = await a.call('6002');
    const inc = await b.incomingCall();
    expect((await first.waitFinal()).status).toBe(200);

    const second = await c.call('6004');
    const refused = await second.waitFinal();
    expect(refused.status).toBe(503);
    expect(refused.header('retry-after')).toMatch(/^\d+$/);
    expect(d.incoming).toHaveLength(0);

    await first.bye();
    await inc.waitRequest('BYE');
    await waitForCalls(t, 0);
    const third = await c.call('6004');
    const answered = await d.incomingCall();
    expect((await third.waitFinal()).status).toBe(200);
    await third.bye();
    await answered.waitRequest('BYE');
  });
});
