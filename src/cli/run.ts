// Running the CLI: parse, execute, and turn errors a user can cause into one line on stderr and
// exit code 1 (config errors: one line per problem). Anything else is a bug: one line too, the
// stack only with PBX_DEBUG=1.
import { CommanderError } from 'commander';
import { buildProgram } from './program.ts';
import { stdio, type Out } from './output.ts';
import { ConfigError } from '../config/load.ts';
import { UserError } from '../errors.ts';

export async function runCli(argv: string[], io: Out = stdio): Promise<number> {
  const program = buildProgram(io);
  const all = (c: typeof program): Array<typeof program> => [c, ...c.commands.flatMap(all)];
  for (const c of all(program)) c.exitOverride();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode; // commander already printed its message
    if (e instanceof ConfigError) {
      for (const line of e.lines()) io.err(line);
      return 1;
    }
    if (e instanceof UserError) {
      io.err(`error: ${e.message}`);
      return 1;
    }
    const err = e as Error & { code?: string };
    if (err?.code === 'SQLITE_BUSY') {
      io.err('error: the database is busy (another process holds a long write); try again');
      return 1;
    }
    io.err(`internal error: ${err?.message ?? String(e)}${process.env.PBX_DEBUG ? `\n${err?.stack}` : ' (set PBX_DEBUG=1 for details)'}`);
    return 2;
  }
}
