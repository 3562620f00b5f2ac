// What every CLI command shares: the --config/--json options, opening the services on the
// configured data directory (the same database a running server uses), and the actor name
// written to the audit log.
import { userInfo } from 'node:os';
import { InvalidArgumentError, type Command } from 'commander';
import { resolveConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { openServices, type Services } from '../services.ts';

export interface CommonOptions {
  config?: string;
  json?: boolean;
}

/** Adds --config FILE (default: $PBX_CONFIG, else the embedded default) to a command. */
export function withConfigOption(cmd: Command): Command {
  return cmd.option('-c, --config <file>', 'config file (default: $PBX_CONFIG, else the built-in defaults)');
}

export function withJsonOption(cmd: Command): Command {
  return withConfigOption(cmd).option('--json', 'print JSON instead of a table');
}

export function loadCliConfig(opts: CommonOptions): Config {
  const config = resolveConfig(opts.config);
  return config;
}

/** Opens the services for one command and closes them afterwards. */
export async function withServices<T>(opts: CommonOptions, fn: (s: Services, config: Config) => T | Promise<T>): Promise<T> {
  const config = loadCliConfig(opts);
  const services = openServices(config);
  try {
    return await fn(services, config);
  } finally {
    services.close();
  }
}

export function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

/** Commander argument parser for a whole number within a range. */
export function intOption(min: number, max: number) {
  return (value: string): number => {
    if (!/^-?[0-9]+$/.test(value)) throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
    return n;
  };
}

export function choiceOption<T extends string>(choices: readonly T[]) {
  return (value: string): T => {
    if (!(choices as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${choices.join(', ')}`);
    return value as T;
  };
}
