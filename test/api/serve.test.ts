import { describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import { serveApi } from '../../src/api/index.ts';

describe('serveApi', () => {
  it('serves on a free port and reports an address in use clearly', async () => {
    const app = new Hono().get('/health', (c) => c.json({ status: 'ok' }));
    const a = await serveApi(app, { host: '127.0.0.1', port: 0 });
    try {
      expect(await (await fetch(`http://127.0.0.1:${a.port}/health`)).json()).toEqual({ status: 'ok' });
      await expect(serveApi(app, { host: '127.0.0.1', port: a.port })).rejects.toThrow(`admin API cannot listen on 127.0.0.1:${a.port}: the address is already in use`);
    } finally {
      await a.close();
    }
  });
});
