// bin/pbx token create|list|revoke — admin API bearer tokens.
import { Command, InvalidArgumentError } from 'commander';
import { cliActor, withConfigOption, withJsonOption, withServices, type CommonOptions } from './context.ts';
import { isoTime, json, stdio, table, type Out } from './output.ts';
import { SCOPES, type Scope, type TokenInfo } from '../auth/token-service.ts';

function view(t: TokenInfo, tenantName?: string) {
  return { ...t, tenant: tenantName ?? null, createdAt: isoTime(t.createdAt), lastUsedAt: isoTime(t.lastUsedAt), revokedAt: isoTime(t.revokedAt) };
}

function scopeList(value: string, previous: Scope[] = []): Scope[] {
  const out = [...previous];
  for (const s of value.split(',').map((x) => x.trim())) {
    if (!(SCOPES as readonly string[]).includes(s)) throw new InvalidArgumentError(`must be one of ${SCOPES.join(', ')}`);
    out.push(s as Scope);
  }
  return out;
}

export function tokenCommands(io: Out = stdio): Command {
  const cmd = new Command('token').description('admin API tokens (stored hashed; shown once)');

  withJsonOption(cmd.command('create <name>').description('create a token and print it once'))
    .option('-s, --scope <scope>', `scope: ${SCOPES.join(' | ')} (repeatable; default admin)`, scopeList)
    .option('-t, --tenant <tenant>', 'limit the token to one tenant (name or id)')
    .action(async (name: string, o: CommonOptions & { scope?: Scope[]; tenant?: string }) => {
      await withServices(o, (s) => {
        const tenant = o.tenant === undefined ? undefined : s.tenants.resolve(o.tenant);
        const { token, info } = s.tokens.create({ name, scopes: o.scope, tenantId: tenant?.id ?? null }, cliActor());
        if (o.json) return io.out(json({ ...view(info, tenant?.name), token }));
        io.out(`token ${info.id} (${info.name}, scopes ${info.scopes.join(',')}${tenant ? `, tenant ${tenant.name}` : ''}) created:`);
        io.out(token);
        io.out('Store it now: only its hash is kept.');
      });
    });

  withJsonOption(cmd.command('list').description('list tokens (never their values)')).action(async (o: CommonOptions) => {
    await withServices(o, (s) => {
      const names = new Map(s.tenants.list().map((t) => [t.id, t.name]));
      const ts = s.tokens.list();
      if (o.json) return io.out(json(ts.map((t) => view(t, t.tenantId === null ? undefined : names.get(t.tenantId)))));
      io.out(
        table(
          ['id', 'name', 'scopes', 'tenant', 'created', 'last used', 'revoked'],
          ts.map((t) => [t.id, t.name, t.scopes.join(','), t.tenantId === null ? '(all)' : names.get(t.tenantId), isoTime(t.createdAt), isoTime(t.lastUsedAt), isoTime(t.revokedAt)]),
        ),
      );
    });
  });

  withConfigOption(cmd.command('revoke <id>').description('revoke a token')).action(async (id: string, o: CommonOptions) => {
    await withServices(o, (s) => {
      const t = s.tokens.revoke(/^[0-9]+$/.test(id) ? Number(id) : -1, cliActor());
      io.out(`token ${t.id} (${t.name}) revoked`);
    });
  });

  return cmd;
}
