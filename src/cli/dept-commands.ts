// bin/pbx dept add|list|show|rename|move|remove — the department tree of a tenant. A department
// is named by its path (Sales/East; a leading "/" for names that are only digits) or its id.
import { Command } from 'commander';
import { cliActor, withConfigOption, withJsonOption, withServices, type CommonOptions } from './context.ts';
import { isoTime, json, stdio, table, type Out } from './output.ts';
import type { Department } from '../directory/department-service.ts';

interface TenantOption extends CommonOptions {
  tenant?: string;
}

export function departmentView(d: Department) {
  return { ...d, createdAt: isoTime(d.createdAt) };
}

function tenantOption(c: Command): Command {
  return c.option('-t, --tenant <tenant>', 'tenant name or id (default: the default tenant)');
}

function describe(d: Department, tenantName: string): string {
  return table(
    ['field', 'value'],
    [
      ['tenant', tenantName],
      ['id', d.id],
      ['path', d.path],
      ['employees', d.employees],
      ['sub-departments', d.children],
      ['created', isoTime(d.createdAt)],
    ],
  );
}

export function deptCommands(io: Out = stdio): Command {
  const cmd = new Command('dept').description('departments of a tenant, as a tree (named by path: Sales/East, or by id)');

  withJsonOption(tenantOption(cmd.command('add <name>').description('add a department, at the top or under --parent')))
    .option('-p, --parent <department>', 'the parent department (path or id)')
    .action(async (name: string, o: TenantOption & { parent?: string }) => {
      await withServices(o, (s) => {
        const t = s.tenants.resolve(o.tenant);
        const d = s.departments.add(t.id, { name, parent: o.parent ?? null }, cliActor());
        io.out(o.json ? json(departmentView(d)) : `department ${d.path} added (id ${d.id})`);
      });
    });

  withJsonOption(tenantOption(cmd.command('list').description('the department tree, depth-first, with paths and head counts'))).action(async (o: TenantOption) => {
    await withServices(o, (s) => {
      const t = s.tenants.resolve(o.tenant);
      const all = s.departments.list(t.id);
      if (o.json) return io.out(json({ tenant: t.name, items: all.map(departmentView) }));
      if (all.length === 0) return io.out(`tenant ${t.name} has no departments; add one with \`pbx dept add NAME\``);
      io.out(table(['id', 'department', 'path', 'employees', 'subs'], all.map((d) => [d.id, `${'  '.repeat(d.depth)}${d.name}`, d.path, d.employees, d.children])));
    });
  });

  withJsonOption(tenantOption(cmd.command('show <department>').description('one department (path or id)'))).action(async (ref: string, o: TenantOption) => {
    await withServices(o, (s) => {
      const t = s.tenants.resolve(o.tenant);
      const d = s.departments.get(t.id, ref);
      io.out(o.json ? json(departmentView(d)) : describe(d, t.name));
    });
  });

  withJsonOption(tenantOption(cmd.command('rename <department> <new-name>').description('give a department a new name (its sub-departments and employees stay in it)'))).action(
    async (ref: string, name: string, o: TenantOption) => {
      await withServices(o, (s) => {
        const t = s.tenants.resolve(o.tenant);
        const d = s.departments.rename(t.id, ref, name, cliActor());
        io.out(o.json ? json(departmentView(d)) : `department renamed: ${d.path}`);
      });
    },
  );

  withJsonOption(tenantOption(cmd.command('move <department> <parent>').description('move a department with everything in it under another one ("/" for the top level)'))).action(
    async (ref: string, parent: string, o: TenantOption) => {
      await withServices(o, (s) => {
        const t = s.tenants.resolve(o.tenant);
        const d = s.departments.move(t.id, ref, parent.trim() === '/' ? null : parent, cliActor());
        io.out(o.json ? json(departmentView(d)) : `department moved: ${d.path}`);
      });
    },
  );

  withConfigOption(tenantOption(cmd.command('remove <department>').description('remove an empty department (no employees, no sub-departments)'))).action(async (ref: string, o: TenantOption) => {
    await withServices(o, (s) => {
      const t = s.tenants.resolve(o.tenant);
      const d = s.departments.remove(t.id, ref, cliActor());
      io.out(`department ${d.path} removed from tenant ${t.name}`);
    });
  });

  return cmd;
}
