// One structured logger for the whole process (pino). Tests and the CLI set the level low.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string = process.env.PBX_LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime });
}

export const log: Logger = createLogger();
