// /directory — a tenant's directory at scale (R-DIR-3, R-DIR-4): GET /directory pages through the
// extensions with their employee and department, or searches by number or name prefix (keyset
// cursor); GET /directory/export streams it as CSV or XLSX; POST /directory/import takes such a
// file as the request body (streamed, not buffered), checks every row and applies all or nothing:
// 200 with the report, or 422 with the report listing every problem by row and column.
import { PassThrough, Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { Hono, type Context } from 'hono';
import { caller, intQuery, tenantFor, type ApiDeps, type ApiEnv } from './context.ts';
import { InvalidError } from '../errors.ts';
import type { PbxDb } from '../db/open.ts';
import { CONTENT_TYPES, DIRECTORY_FORMATS, DirectoryExporter, DirectoryImporter, type DirectoryFormat } from '../directory/import/index.ts';
import { DEFAULT_LIMIT, DirectorySearch, MAX_LIMIT, SEARCH_BY, type SearchBy } from '../directory/directory-search.ts';

/** The API's dependencies with the database (Services.db); /directory answers 503 without it. */
export type DirectoryIoApiDeps = ApiDeps & { services: { db?: PbxDb } };

export const DIRECTORY_QUERY = ['tenant', 'search', 'by', 'cursor', 'limit'];
export const DIRECTORY_EXPORT_QUERY = ['tenant', 'format'];
export const DIRECTORY_IMPORT_QUERY = ['tenant', 'format', 'dryRun'];

function formatQuery(c: Context, fallback: DirectoryFormat): DirectoryFormat {
  const f = c.req.query('format');
  if (f === undefined || f === '') return fallback;
  if (!(DIRECTORY_FORMATS as readonly string[]).includes(f)) throw new InvalidError(`format must be one of ${DIRECTORY_FORMATS.join(', ')}`);
  return f as DirectoryFormat;
}

function boolQuery(c: Context, name: string): boolean {
  const v = c.req.query(name);
  if (v === undefined || v === '' || v === 'false' || v === '0') return false;
  if (v === 'true' || v === '1') return true;
  throw new InvalidError(`query parameter ${name} must be true or false`);
}

export function directoryIoRoutes(deps: DirectoryIoApiDeps): Hono<ApiEnv> {
  const r = new Hono<ApiEnv>();
  r.use('*', async (c, next) => {
    if (!deps.services.db) return c.json({ error: { code: 'unavailable', message: 'the directory is not available here' } }, 503);
    await next();
  });
  const db = (): PbxDb => deps.services.db!; // present: checked above
  let search: DirectorySearch | undefined;

  r.get('/', (c) => {
    const t = tenantFor(c, deps, c.req.query('tenant') || undefined);
    const by = c.req.query('by') || undefined;
    if (by !== undefined && !(SEARCH_BY as readonly string[]).includes(by)) throw new InvalidError(`by must be one of ${SEARCH_BY.join(', ')}`);
    search ??= new DirectorySearch(db());
    const page = search.search(t.id, {
      search: c.req.query('search') ?? '',
      ...(by ? { by: by as SearchBy } : {}),
      ...(c.req.query('cursor') ? { cursor: c.req.query('cursor')! } : {}),
      limit: intQuery(c, 'limit', DEFAULT_LIMIT, 1, MAX_LIMIT),
    });
    return c.json(page);
  });

  r.get('/export', (c) => {
    const t = tenantFor(c, deps, c.req.query('tenant') || undefined);
    const format = formatQuery(c, 'csv');
    const out = new PassThrough();
    // streamed as it is read from the database; a failure half-way cuts the response short
    new DirectoryExporter(db(), deps.services.audit).exportTo(t.id, out, { format, actor: caller(c).actor }).catch((e: unknown) => out.destroy(e as Error));
    return c.body(Readable.toWeb(out) as unknown as ReadableStream, 200, {
      'Content-Type': CONTENT_TYPES[format],
      'Content-Disposition': `attachment; filename="directory-${t.name.replace(/[^A-Za-z0-9._-]/g, '_')}.${format}"`,
    });
  });

  r.post('/import', async (c) => {
    const t = tenantFor(c, deps, c.req.query('tenant') || undefined);
    const type = c.req.header('Content-Type') ?? '';
    const format = formatQuery(c, /spreadsheetml|officedocument|excel/i.test(type) ? 'xlsx' : 'csv');
    const body = c.req.raw.body;
    const input = body ? Readable.fromWeb(body as unknown as NodeReadableStream) : Readable.from([]);
    const report = await new DirectoryImporter(db(), deps.services.audit).importFile(t.id, input, {
      format,
      dryRun: boolQuery(c, 'dryRun'),
      actor: caller(c).actor,
      numberContext: { countryCode: deps.services.tenants.settings(t.id).country_code },
    });
    const problems = report.errors.length + report.errorsOmitted;
    if (problems === 0) return c.json(report);
    return c.json({ error: { code: 'invalid_rows', message: `${problems} problem${problems === 1 ? '' : 's'} in the file; nothing was imported` }, report }, 422);
  });

  return r;
}
