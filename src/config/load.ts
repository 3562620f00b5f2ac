// Reading a YAML config file: parse with line tracking, validate with the zod schema, then the
// checks a schema cannot express (duplicates, cross-field rules). Every problem becomes one line
// "key.path (line N): message"; all of them are collected in one ConfigError.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './schema.ts';
import { defaultConfig } from './defaults.ts';

export interface ConfigProblem {
  path: string; // e.g. "sip.udp.port" or "tenants[0].extensions[2].number"; "" for the document
  line?: number; // 1-based, when the key exists in the file
  message: string;
}

export class ConfigError extends Error {
  readonly problems: ConfigProblem[];
  readonly source: string;
  constructor(source: string, problems: ConfigProblem[]) {
    super(`invalid config ${source}:\n` + problems.map(formatProblem).join('\n'));
    this.name = 'ConfigError';
    this.source = source;
    this.problems = problems;
  }
  /** One line per problem, prefixed with the file name. */
  lines(): string[] {
    return this.problems.map((p) => `${this.source}: ${formatProblem(p)}`);
  }
}

export function formatProblem(p: ConfigProblem): string {
  if (p.path === '') return p.line === undefined ? p.message : `line ${p.line}: ${p.message}`;
  return p.line === undefined ? `${p.path}: ${p.message}` : `${p.path} (line ${p.line}): ${p.message}`;
}

type PathSeg = string | number;

export function formatPath(path: readonly PathSeg[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

/** Line (1-based) of the deepest node of `path` that exists in the document. */
function lineOf(doc: Document, lc: LineCounter, path: readonly PathSeg[]): number | undefined {
  let node: unknown = doc.contents;
  let offset: number | undefined = (doc.contents as { range?: [number, number, number] } | null)?.range?.[0];
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && String(it.key.value) === String(seg));
      if (!pair) break;
      const key = pair.key as { range?: [number, number, number] };
      if (key.range) offset = key.range[0];
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as { range?: [number, number, number] } | undefined;
      if (!item) break;
      if (item.range) offset = item.range[0];
      node = item;
    } else break;
  }
  return offset === undefined ? undefined : lc.linePos(offset).line;
}

/** Validates an already-parsed value; `lineFor` maps a path to a line when a document is known. */
function validate(raw: unknown, lineFor: (path: readonly PathSeg[]) => number | undefined): { config?: Config; problems: ConfigProblem[] } {
  const result = configSchema.safeParse(raw ?? {});
  if (!result.success) return { problems: zodProblems(result.error, raw, lineFor) };
  const problems = semanticProblems(result.data).map(({ path, message }) => ({
    path: formatPath(path),
    line: lineFor(path),
    message,
  }));
  return { config: result.data, problems };
}

function valueAt(raw: unknown, path: readonly PathSeg[]): unknown {
  let v: unknown = raw;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

function zodProblems(error: z.ZodError, raw: unknown, lineFor: (path: readonly PathSeg[]) => number | undefined): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const issue of error.issues) {
    const path = issue.path.filter((s): s is PathSeg => typeof s !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const p = [...path, key];
        out.push({ path: formatPath(p), line: lineFor(p), message: 'unknown key' });
      }
    } else if (issue.code === 'invalid_type' && valueAt(raw, path) === undefined) {
      out.push({ path: formatPath(path), line: lineFor(path), message: 'required key is missing' });
    } else {
      out.push({ path: formatPath(path), line: lineFor(path), message: issue.message });
    }
  }
  return out;
}

/** Rules across fields and list items. Exported for tests of the rules alone. */
export function semanticProblems(c: Config): Array<{ path: PathSeg[]; message: string }> {
  const out: Array<{ path: PathSeg[]; message: string }> = [];
  const names = new Map<string, number>();
  const domains = new Map<string, number>();
  let defaultAt: number | undefined;
  c.tenants.forEach((t, i) => {
    const key = t.name.toLowerCase();
    if (names.has(key)) out.push({ path: ['tenants', i, 'name'], message: `duplicate tenant name "${t.name}" (also tenants[${names.get(key)}])` });
    else names.set(key, i);
    if (t.domain !== undefined) {
      if (domains.has(t.domain)) out.push({ path: ['tenants', i, 'domain'], message: `duplicate tenant domain "${t.domain}" (also tenants[${domains.get(t.domain)}])` });
      else domains.set(t.domain, i);
    }
    if (t.default) {
      if (defaultAt !== undefined) out.push({ path: ['tenants', i, 'default'], message: `only one tenant can be the default (also tenants[${defaultAt}])` });
      else defaultAt = i;
    } else if (t.domain === undefined) {
      out.push({ path: ['tenants', i, 'domain'], message: 'required for a tenant that is not the default' });
    }
    const numbers = new Map<string, number>();
    t.extensions.forEach((e, k) => {
      if (numbers.has(e.number)) {
        out.push({
          path: ['tenants', i, 'extensions', k, 'number'],
          message: `duplicate extension ${e.number} in tenant "${t.name}" (also tenants[${i}].extensions[${numbers.get(e.number)}])`,
        });
      } else numbers.set(e.number, k);
    });
  });
  const tls = c.sip.tls;
  if (tls.enabled && tls.cert === undefined) out.push({ path: ['sip', 'tls', 'cert'], message: 'required when sip.tls.enabled is true' });
  if (tls.enabled && tls.key === undefined) out.push({ path: ['sip', 'tls', 'key'], message: 'required when sip.tls.enabled is true' });
  const r = c.sip.registrar;
  if (r.min_expires > r.max_expires) out.push({ path: ['sip', 'registrar', 'min_expires'], message: `must not exceed max_expires (${r.max_expires})` });
  else if (r.default_expires < r.min_expires || r.default_expires > r.max_expires)
    out.push({ path: ['sip', 'registrar', 'default_expires'], message: `must be between min_expires (${r.min_expires}) and max_expires (${r.max_expires})` });
  if (c.sip.timers.t1 > c.sip.timers.t2) out.push({ path: ['sip', 'timers', 't1'], message: `must not exceed t2 (${c.sip.timers.t2})` });
  // TCP-family listeners cannot share a port on overlapping addresses.
  const streams: Array<{ path: PathSeg[]; host: string; port: number }> = [];
  if (c.sip.tcp.enabled) streams.push({ path: ['sip', 'tcp', 'port'], host: c.sip.tcp.host, port: c.sip.tcp.port });
  if (tls.enabled) streams.push({ path: ['sip', 'tls', 'port'], host: tls.host, port: tls.port });
  if (c.api.enabled) streams.push({ path: ['api', 'port'], host: c.api.host, port: c.api.port });
  const wildcard = (h: string) => h === '0.0.0.0' || h === '::';
  for (let i = 0; i < streams.length; i++)
    for (let j = 0; j < i; j++) {
      const a = streams[i]!;
      const b = streams[j]!;
      if (a.port !== 0 && a.port === b.port && (a.host === b.host || wildcard(a.host) || wildcard(b.host)))
        out.push({ path: a.path, message: `port ${a.port} is already used by ${formatPath(b.path.slice(0, -1))}` });
    }
  return out;
}

/** Parses and validates YAML text. `source` names it in messages; `baseDir` resolves relative paths. */
export function parseConfig(text: string, source = '<config>', baseDir = process.cwd()): Config {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => ({ path: '', line: lc.linePos(e.pos[0]).line, message: e.message.split('\n')[0]! })),
    );
  }
  const raw = doc.toJS();
  if (raw !== null && raw !== undefined && (typeof raw !== 'object' || Array.isArray(raw))) {
    throw new ConfigError(source, [{ path: '', line: 1, message: 'the config must be a mapping of keys' }]);
  }
  const { config, problems } = validate(raw, (p) => lineOf(doc, lc, p));
  if (problems.length > 0 || !config) throw new ConfigError(source, problems.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity)));
  return resolvePaths(config, baseDir);
}

/** Reads and validates a YAML file; relative paths inside it are relative to the file's directory. */
export function loadConfigFile(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError(file, [{ path: '', message: `cannot read the file (${code})` }]);
  }
  return parseConfig(text, file, dirname(resolve(file)));
}

/**
 * The config to run with: the given file, else the file named by $PBX_CONFIG, else the embedded
 * default (data in ./data relative to the working directory).
 */
export function resolveConfig(file?: string): Config {
  const chosen = file ?? process.env.PBX_CONFIG;
  if (chosen !== undefined && chosen !== '') return loadConfigFile(chosen);
  return resolvePaths(defaultConfig(), process.cwd());
}

function resolvePaths(c: Config, baseDir: string): Config {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  return {
    ...c,
    data_dir: abs(c.data_dir),
    sip: {
      ...c.sip,
      tls: {
        ...c.sip.tls,
        ...(c.sip.tls.cert !== undefined ? { cert: abs(c.sip.tls.cert) } : {}),
        ...(c.sip.tls.key !== undefined ? { key: abs(c.sip.tls.key) } : {}),
      },
    },
    // files a tenant names (holiday calendar, greetings) are relative to the config file too
    tenants: c.tenants.map((t) => ({
      ...t,
      ...(t.holiday_calendar !== undefined ? { holiday_calendar: abs(t.holiday_calendar) } : {}),
      numbers: t.numbers.map((n) => (n.greeting !== undefined ? { ...n, greeting: abs(n.greeting) } : n)),
    })),
  };
}
