// The `bin/pbx` command line: one command group per file, all over the service layer.
import { Command } from 'commander';
import { stdio, type Out } from './output.ts';
import { startCommand } from './start-command.ts';
import { configCommands, migrateCommand } from './config-commands.ts';
import { tenantCommands } from './tenant-commands.ts';
import { extCommands } from './ext-commands.ts';
import { regCommands } from './reg-commands.ts';
import { tokenCommands } from './token-commands.ts';
import { blockCommands } from './block-commands.ts';
import { auditCommands } from './audit-commands.ts';
import { callsCommands } from './calls-commands.ts';
import { cdrCommands } from './cdr-commands.ts';
import { recordingCommands } from './recording-commands.ts';
import { trunkCommands } from './trunk-commands.ts';
import { numberCommands } from './number-commands.ts';
import { outboxCommands } from './outbox-commands.ts';
import { vmCommands } from './vm-commands.ts';
import { dirCommands } from './dir-commands.ts';
import { deptCommands } from './dept-commands.ts';
import { employeeCommands } from './employee-commands.ts';
import { contactCommands } from './contact-commands.ts';

export function buildProgram(io: Out = stdio): Command {
  const program = new Command('pbx')
    .description('tspbx — a self-hosted SIP PBX. Every command takes --config FILE (or $PBX_CONFIG) to find the data directory.')
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  program.addCommand(startCommand());
  program.addCommand(configCommands(io));
  program.addCommand(migrateCommand(io));
  program.addCommand(tenantCommands(io));
  program.addCommand(extCommands(io));
  program.addCommand(deptCommands(io));
  program.addCommand(employeeCommands(io));
  program.addCommand(contactCommands(io));
  program.addCommand(numberCommands(io));
  program.addCommand(trunkCommands(io));
  program.addCommand(regCommands(io));
  program.addCommand(tokenCommands(io));
  program.addCommand(blockCommands(io));
  program.addCommand(auditCommands(io));
  program.addCommand(callsCommands(io));
  program.addCommand(cdrCommands(io));
  program.addCommand(recordingCommands(io));
  program.addCommand(outboxCommands(io));
  program.addCommand(vmCommands(io));
  program.addCommand(dirCommands(io));
  // addCommand does not pass output settings down: give every command the same ones.
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  for (const c of all(program).slice(1)) {
    c.configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  }
  return program;
}
