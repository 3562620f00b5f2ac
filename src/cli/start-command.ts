// bin/pbx start [--config FILE] — runs the PBX until SIGINT/SIGTERM, then stops it gracefully.
import { Command } from 'commander';
import { loadCliConfig, withConfigOption, type CommonOptions } from './context.ts';
import { UserError } from '../errors.ts';

export function startCommand(): Command {
  return withConfigOption(new Command('start').description('start the PBX (embedded defaults when no config file is given)')).action(async (o: CommonOptions) => {
    const config = loadCliConfig(o);
    const { startPbx } = await import('../server.ts'); // loaded only here: other commands stay quick
    const pbx = await startPbx(config, serviceClockFromEnv());
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      pbx
        .stop()
        .then(() => process.exit(0))
        .catch((e: unknown) => {
          process.stderr.write(`error while stopping on ${signal}: ${(e as Error).message}\n`);
          process.exit(1);
        });
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

/**
 * PBX_SERVICE_CLOCK=2026-11-28T10:00:00+08:00 starts the service-hours clock at that instant
 * (it runs on from there): how the end-to-end suite reaches a closed Saturday on any weekday.
 * Nothing else of the PBX (timers, records) uses it.
 */
function serviceClockFromEnv(): { serviceClock?: () => number } {
  const start = process.env.PBX_SERVICE_CLOCK;
  if (!start) return {};
  const at = Date.parse(start);
  if (Number.isNaN(at)) throw new UserError(`PBX_SERVICE_CLOCK: "${start}" is not a date-time (use ISO 8601, e.g. 2026-11-28T10:00:00+08:00)`);
  const offset = at - Date.now();
  return { serviceClock: () => Date.now() + offset };
}
