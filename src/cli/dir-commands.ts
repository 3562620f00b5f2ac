// bin/pbx dir export|import|search — the directory of a tenant in bulk (R-DIR-3, R-DIR-4): export
// to CSV or XLSX, import from one (every problem listed as "row 12, mobile: …", then exit 1 with
// nothing changed), and search by extension-number or name prefix a page at a time.
import { createReadStream, createWriteStream, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Command } from 'commander';
import { choiceOption, cliActor, intOption, withConfigOption, withJsonOption, withServices, type CommonOptions } from './context.ts';
import { json, stdio, table, type Out } from './output.ts';
import { InvalidError, NotFoundError, UserError } from '../errors.ts';
import { DirectoryExporter, DirectoryImporter, DIRECTORY_FORMATS, formatOfFileName, type DirectoryFormat, type ImportReport } from '../directory/import/index.ts';
import { DirectorySearch, MAX_LIMIT, SEARCH_BY, type SearchBy } from '../directory/directory-search.ts';

interface DirOptions extends CommonOptions {
  tenant?: string;
  format?: DirectoryFormat;
}

function tenantOption(c: Command): Command {
  return c.option('-t, --tenant <tenant>', 'tenant name or id (default: the default tenant)');
}

function formatOption(c: Command, what: string): Command {
  return c.option('-f, --format <format>', `csv | xlsx (default: from the file name's ending, else csv) ${what}`, choiceOption(DIRECTORY_FORMATS));
}

function formatFor(file: string, given: DirectoryFormat | undefined): DirectoryFormat {
  return given ?? formatOfFileName(file) ?? 'csv';
}

/** The import refused (problems listed above it); exit code 1. */
class ImportRefusedError extends UserError {}

export function reportLines(r: ImportReport): string[] {
  const counts = `${r.rows} rows: ${r.created} created, ${r.updated} updated, ${r.unchanged} unchanged, ${r.numbered} numbered automatically`;
  if (r.errors.length > 0 || r.errorsOmitted > 0) return [`${r.rows} rows checked: ${r.errors.length + r.errorsOmitted} problems; nothing was changed`];
  return [r.dryRun ? `dry run, nothing was changed — ${counts}` : counts];
}

export function errorLine(e: { row: number; column: string; message: string }): string {
  return e.column === '' ? `row ${e.row}: ${e.message}` : `row ${e.row}, ${e.column}: ${e.message}`;
}

export function dirCommands(io: Out = stdio): Command {
  const cmd = new Command('dir').description("a tenant's directory in bulk: export, import (CSV or XLSX), search");

  withConfigOption(formatOption(tenantOption(cmd.command('export <file>').description("write the tenant's employees with their departments and extensions to FILE ('-': standard output)")), ''))
    .action(async (file: string, o: DirOptions) => {
      await withServices(o, async (s) => {
        const t = s.tenants.resolve(o.tenant);
        const format = formatFor(file, o.format);
        const exporter = new DirectoryExporter(s.db, s.audit);
        if (file === '-') {
          try {
            await exporter.exportTo(t.id, process.stdout, { format, actor: cliActor() });
          } catch (e) {
            if ((e as { code?: string }).code !== 'EPIPE') throw e; // the reader stopped early (| head): not an error
          }
          return;
        }
        // into a file beside it first: an export that fails half-way leaves no half file
        const part = join(dirname(file), `.${basename(file)}.${process.pid}.part`);
        try {
          const { rows } = await exporter.exportTo(t.id, createWriteStream(part), { format, actor: cliActor() });
          renameSync(part, file);
          io.out(`exported ${rows} employees of tenant ${t.name} to ${file} (${format})`);
        } finally {
          rmSync(part, { force: true });
        }
      });
    });

  withJsonOption(formatOption(tenantOption(cmd.command('import <file>').description('check every row of FILE, then apply all of it or nothing; problems are listed as "row N, column: …"')), ''))
    .option('-n, --dry-run', 'check and count only; change nothing')
    .action(async (file: string, o: DirOptions & { dryRun?: boolean }) => {
      try {
        if (!statSync(file).isFile()) throw new InvalidError(`${file} is not a file`);
      } catch (e) {
        if (e instanceof UserError) throw e;
        throw new NotFoundError(`cannot read ${file}: ${(e as Error).message}`);
      }
      await withServices(o, async (s) => {
        const t = s.tenants.resolve(o.tenant);
        const report = await new DirectoryImporter(s.db, s.audit).importFile(t.id, createReadStream(file), {
          format: formatFor(file, o.format),
          dryRun: o.dryRun === true,
          actor: cliActor(),
          numberContext: { countryCode: s.tenants.settings(t.id).country_code },
        });
        if (o.json) io.out(json(report));
        else {
          for (const e of report.errors) io.err(errorLine(e));
          if (report.errorsOmitted > 0) io.err(`… and ${report.errorsOmitted} more problems`);
          for (const line of reportLines(report)) io.out(line);
        }
        const problems = report.errors.length + report.errorsOmitted;
        if (problems > 0) throw new ImportRefusedError(`${file}: ${problems} problem${problems === 1 ? '' : 's'}; nothing was imported`);
      });
    });

  withJsonOption(tenantOption(cmd.command('search [prefix]').description('extensions with their employee and department: by the start of a number (digits) or of a name; without a prefix, all of them by number')))
    .option('--by <what>', 'number | name (default: number when the prefix is digits, else name)', choiceOption(SEARCH_BY))
    .option('-l, --limit <n>', `rows per page: 1-${MAX_LIMIT} (default 50)`, intOption(1, MAX_LIMIT))
    .option('--cursor <cursor>', 'the next page: the cursor the previous page printed')
    .action(async (prefix: string | undefined, o: DirOptions & { by?: SearchBy; limit?: number; cursor?: string }) => {
      await withServices(o, (s) => {
        const t = s.tenants.resolve(o.tenant);
        const page = new DirectorySearch(s.db).search(t.id, { search: prefix ?? '', ...(o.by ? { by: o.by } : {}), ...(o.limit ? { limit: o.limit } : {}), ...(o.cursor ? { cursor: o.cursor } : {}) });
        if (o.json) return io.out(json({ tenant: t.name, ...page }));
        io.out(
          table(
            ['extension', 'kind', 'name', 'employee no', 'department', 'mobile', 'title', 'active'],
            page.items.map((i) => [
              i.extension?.number,
              i.extension?.kind,
              i.employee?.name ?? i.extension?.displayName,
              i.employee?.employeeNo,
              i.department,
              i.employee?.mobile,
              i.employee?.title,
              i.employee ? (i.employee.active ? 'yes' : 'no') : undefined,
            ]),
          ),
        );
        if (page.nextCursor) io.out(`more: --cursor ${page.nextCursor}`);
      });
    });

  return cmd;
}
