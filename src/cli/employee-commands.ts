// bin/pbx employee add|list|show|set|deactivate|remove — the employees of a tenant, named by their
// employee id (E001). An active employee gets an extension at once: the automatic number
// (R-DIR-2), or the one given with --extension; its SIP password is printed that once.
import { Command } from 'commander';
import { cliActor, intOption, withConfigOption, withJsonOption, withServices, type CommonOptions } from './context.ts';
import { isoTime, json, stdio, table, type Out } from './output.ts';
import type { Employee, EmployeeChange, EmployeePatch } from '../directory/employee-service.ts';
import { InvalidError } from '../errors.ts';

interface TenantOption extends CommonOptions {
  tenant?: string;
}

interface EmployeeOptions extends TenantOption {
  department?: string;
  mobile?: string;
  title?: string;
  extension?: string;
  inactive?: boolean;
  active?: boolean;
  name?: string;
  employeeId?: string;
}

export function employeeView(e: Employee) {
  return { ...e, createdAt: isoTime(e.createdAt) };
}

function changeView(r: EmployeeChange) {
  return { ...employeeView(r.employee), givenExtension: r.extension };
}

function tenantOption(c: Command): Command {
  return c.option('-t, --tenant <tenant>', 'tenant name or id (default: the default tenant)');
}

const none = (v: string | undefined): string | null | undefined => (v === undefined ? undefined : v === '' || v === 'none' ? null : v);

function describe(e: Employee, tenantName: string): string {
  return table(
    ['field', 'value'],
    [
      ['tenant', tenantName],
      ['employee id', e.employeeNo],
      ['name', e.name],
      ['department', e.department],
      ['extension', e.extension],
      ['mobile', e.mobile],
      ['title', e.title],
      ['active', e.active ? 'yes' : 'no'],
      ['created', isoTime(e.createdAt)],
    ],
  );
}

function given(io: Out, r: EmployeeChange): void {
  if (!r.extension) return;
  io.out(`extension ${r.extension.number} given (${r.extension.how === 'automatic' ? 'automatic numbering' : 'as asked'})`);
  io.out(`SIP password: ${r.extension.password}  (shown only now; \`pbx ext set-password ${r.extension.number}\` sets a new one)`);
}

export function employeeCommands(io: Out = stdio): Command {
  const cmd = new Command('employee').description('employees of a tenant (each active one has an extension), named by employee id');

  withJsonOption(tenantOption(cmd.command('add <employee-id> <name>').description('add an employee; an active one gets an extension at once')))
    .option('-d, --department <department>', 'department path (Sales/East) or id')
    .option('-m, --mobile <number>', 'mobile number (13812345678, +86 138 1234 5678)')
    .option('--title <title>', 'job title')
    .option('-e, --extension <number>', 'this extension number instead of the automatic one')
    .option('--inactive', 'not activated yet: no extension until activated (pbx employee set --active)')
    .action(async (employeeNo: string, name: string, o: EmployeeOptions) => {
      await withServices(o, (s) => {
        const t = s.tenants.resolve(o.tenant);
        const r = s.employees.add(
          t.id,
          { employeeNo, name, department: o.department ?? null, mobile: o.mobile ?? null, title: o.title ?? null, active: !o.inactive, ...(o.extension !== undefined ? { extension: o.extension } : {}) },
          cliActor(),
        );
        if (o.json) return io.out(json(changeView(r)));
        io.out(`employee ${r.employee.employeeNo} (${r.employee.name}) added to tenant ${t.name}${r.employee.active ? '' : ', not activated'}`);
        given(io, r);
      });
    });

  withJsonOption(tenantOption(cmd.command('list').description('employees by employee id')))
    .option('-d, --department <department>', 'only this department and its sub-departments')
    .option('--active', 'only activated employees')
    .option('--inactive', 'only employees not activated')
    .option('--limit <n>', 'at most this many (default 100)', intOption(1, 10_000), 100)
    .option('--offset <n>', 'skip this many', intOption(0, Number.MAX_SAFE_INTEGER), 0)
    .action(async (o: EmployeeOptions & { limit: number; offset: number }) => {
      if (o.active && o.inactive) throw new InvalidError('give --active or --inactive, not both');
      await withServices(o, (s) => {
        const t = s.tenants.resolve(o.tenant);
        const page = s.employees.list(t.id, {
          limit: o.limit,
          offset: o.offset,
          ...(o.department !== undefined ? { department: o.department } : {}),
          ...(o.active ? { active: true } : o.inactive ? { active: false } : {}),
        });
        if (o.json) return io.out(json({ tenant: t.name, ...page, items: page.items.map(employeeView) }));
        io.out(table(['employee id', 'name', 'department', 'extension', 'mobile', 'title', 'active'], page.items.map((e) => [e.employeeNo, e.name, e.department, e.extension, e.mobile, e.title, e.active ? 'yes' : 'no'])));
        if (page.total > page.items.length) io.out(`(${page.items.length === 0 ? 0 : page.offset + 1}-${page.offset + page.items.length} of ${page.total}; use --offset/--limit)`);
      });
    });

  withJsonOption(tenantOption(cmd.command('show <employee-id>').description('one employee'))).action(async (employeeNo: string, o: TenantOption) => {
    await withServices(o, (s) => {
      const t = s.tenants.resolve(o.tenant);
      const e = s.employees.get(t.id, employeeNo);
      io.out(o.json ? json(employeeView(e)) : describe(e, t.name));
    });
  });

  withJsonOption(tenantOption(cmd.command('set <employee-id>').description("change an employee ('none' clears department, mobile, title)")))
    .option('-n, --name <name>', 'name (carried to the extension display name when that was the old name)')
    .option('--employee-id <id>', 'a new employee id')
    .option('-d, --department <department>', "department path or id, or 'none'")
    .option('-m, --mobile <number>', "mobile number, or 'none'")
    .option('--title <title>', "job title, or 'none'")
    .option('--active', 'activate (an employee without extension gets one at once)')
    .option('-e, --extension <number>', 'give the extension this number (or give one with this number)')
    .action(async (employeeNo: string, o: EmployeeOptions) => {
      const patch: EmployeePatch = {};
      if (o.name !== undefined) patch.name = o.name;
      if (o.employeeId !== undefined) patch.employeeNo = o.employeeId;
      if (o.department !== undefined) patch.department = none(o.department) ?? null;
      if (o.mobile !== undefined) patch.mobile = none(o.mobile) ?? null;
      if (o.title !== undefined) patch.title = none(o.title) ?? null;
      if (o.active) patch.active = true;
      if (o.extension !== undefined) patch.extension = o.extension;
      await withServices(o, (s) => {
        const t = s.tenants.resolve(o.tenant);
        const r = s.employees.update(t.id, employeeNo, patch, cliActor());
        if (o.json) return io.out(json(changeView(r)));
        io.out(describe(r.employee, t.name));
        given(io, r);
      });
    });

  withJsonOption(tenantOption(cmd.command('deactivate <employee-id>').description('the employee is no longer activated; the extension stays'))).action(async (employeeNo: string, o: TenantOption) => {
    await withServices(o, (s) => {
      const t = s.tenants.resolve(o.tenant);
      const e = s.employees.deactivate(t.id, employeeNo, cliActor());
      io.out(o.json ? json(employeeView(e)) : `employee ${e.employeeNo} deactivated${e.extension ? `; extension ${e.extension} kept` : ''}`);
    });
  });

  withConfigOption(tenantOption(cmd.command('remove <employee-id>').description('remove an employee and their extension')))
    .option('--keep-extension', 'keep the extension as a function extension (a desk phone that stays)')
    .action(async (employeeNo: string, o: TenantOption & { keepExtension?: boolean }) => {
      await withServices(o, (s) => {
        const t = s.tenants.resolve(o.tenant);
        const e = s.employees.remove(t.id, employeeNo, { keepExtension: Boolean(o.keepExtension) }, cliActor());
        const ext = e.extension === null ? '' : e.extensionKept ? `; extension ${e.extension} kept as a function extension` : `; extension ${e.extension} removed`;
        io.out(`employee ${e.employeeNo} removed from tenant ${t.name}${ext}`);
      });
    });

  return cmd;
}
