// PLACEHOLDER — written by the config/CLI/API work so `npm start` and `bin/pbx start` run before
// the composition root exists. The lead replaces this file with the real src/server.ts (SIP
// stack, registrar, guards wired to the services). Keep the exported signature.
import type { Config } from './config/schema.ts';
import { bootServices } from './services.ts';
import { createApiApp } from './api/app.ts';
import { serveApi, type RunningApi } from './api/serve.ts';
import { createLogger } from './log.ts';

export interface StartOptions {
  now?: () => number;
}

export async function startPbx(config: Config, opts: StartOptions = {}): Promise<{ stop(): Promise<void> }> {
  const log = createLogger(config.log.level);
  const { services, applied } = bootServices(config, opts.now ? { now: opts.now } : {});
  for (const w of applied.warnings) log.warn(w);
  let api: RunningApi | undefined;
  try {
    if (config.api.enabled) {
      api = await serveApi(createApiApp({ services }), config.api);
      log.info({ host: api.host, port: api.port }, 'admin API listening');
    }
  } catch (e) {
    services.close();
    throw e;
  }
  log.warn('placeholder server: SIP is not started (src/server.ts is to be replaced by the composition root)');
  return {
    async stop() {
      await api?.close();
      services.close();
    },
  };
}
