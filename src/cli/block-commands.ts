// bin/pbx block list|clear [ADDRESS] — sources blocked after repeated authentication failures.
// A running server picks a CLI clear up from the database (it watches for external writes).
import { Command } from 'commander';
import { cliActor, withConfigOption, withJsonOption, withServices, type CommonOptions } from './context.ts';
import { isoTime, json, stdio, table, type Out } from './output.ts';
import { InvalidError } from '../errors.ts';

export function blockCommands(io: Out = stdio): Command {
  const cmd = new Command('block').description('sources blocked after authentication failures');

  withJsonOption(cmd.command('list').description('blocks in force')).action(async (o: CommonOptions) => {
    await withServices(o, (s) => {
      const bs = s.blocks.list();
      if (o.json) return io.out(json(bs.map((b) => ({ ...b, blockedAt: isoTime(b.blockedAt), until: isoTime(b.until) }))));
      io.out(table(['address', 'blocked at', 'until', 'failures', 'reason'], bs.map((b) => [b.address, isoTime(b.blockedAt), isoTime(b.until), b.failures, b.reason])));
    });
  });

  withConfigOption(cmd.command('clear [address]').description('lift the block of one address, or of all'))
    .option('--all', 'required to clear every block when no address is given')
    .action(async (address: string | undefined, o: CommonOptions & { all?: boolean }) => {
      if (address === undefined && !o.all) throw new InvalidError('give an ADDRESS, or --all to clear every block');
      await withServices(o, (s) => {
        const n = s.blocks.clear(address, cliActor());
        io.out(address === undefined ? `${n} blocks cleared` : n > 0 ? `block of ${address} cleared` : `${address} was not blocked`);
      });
    });

  return cmd;
}
