// bin/pbx config check FILE | config show, and bin/pbx migrate.
import { Command } from 'commander';
import { stringify } from 'yaml';
import { loadConfigFile } from '../config/load.ts';
import { openDatabase } from '../db/open.ts';
import { migrate } from '../db/migrate.ts';
import { loadCliConfig, withConfigOption, type CommonOptions } from './context.ts';
import { stdio, type Out } from './output.ts';

export function configCommands(io: Out = stdio): Command {
  const cmd = new Command('config').description('configuration files');

  cmd
    .command('check <file>')
    .description('validate a config file; prints one line per problem (key path and line)')
    .action((file: string) => {
      const c = loadConfigFile(file); // throws ConfigError: main prints its lines, exit 1
      const exts = c.tenants.reduce((n, t) => n + t.extensions.length, 0);
      io.out(`${file}: OK (${c.tenants.length} tenants and ${exts} extensions declared)`);
    });

  withConfigOption(cmd.command('show').description('print the effective configuration (defaults filled in; passwords hidden)')).action((o: CommonOptions) => {
    const c = loadCliConfig(o);
    const hidden = { ...c, tenants: c.tenants.map((t) => ({ ...t, extensions: t.extensions.map((e) => ({ ...e, password: '********' })) })) };
    io.out(stringify(hidden));
  });

  return cmd;
}

export function migrateCommand(io: Out = stdio): Command {
  return withConfigOption(new Command('migrate').description('apply pending database migrations (start does this too)')).action((o: CommonOptions) => {
    const c = loadCliConfig(o);
    const db = openDatabase(c.data_dir);
    try {
      const r = migrate(db);
      io.out(`${c.data_dir}: ${r.applied} migrations applied, ${r.total} in total, database up to date`);
    } finally {
      db.close();
    }
  });
}
