// bin/pbx start [--config FILE] — runs the PBX until SIGINT/SIGTERM, then stops it gracefully.
import { Command } from 'commander';
import { loadCliConfig, withConfigOption, type CommonOptions } from './context.ts';

export function startCommand(): Command {
  return withConfigOption(new Command('start').description('start the PBX (embedded defaults when no config file is given)')).action(async (o: CommonOptions) => {
    const config = loadCliConfig(o);
    const { startPbx } = await import('../server.ts'); // loaded only here: other commands stay quick
    const pbx = await startPbx(config);
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
