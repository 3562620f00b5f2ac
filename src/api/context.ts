// What the admin API's routes share: the dependencies, the authenticated caller, JSON body
// validation with zod, and the tenant a request may touch (tenant isolation).
import type { Context } from 'hono';
import type { z } from 'zod';
import type { Services } from '../services.ts';
import type { VerifiedToken } from '../auth/token-service.ts';
import type { Tenant } from '../tenancy/tenant-service.ts';
import type { BlockedSource } from '../sip/registrar/ports.ts';
import type { RegistrationView } from '../directory/registration-store.ts';
import type { LiveCalls } from '../calls/live-calls.ts';
import { ForbiddenError, InvalidError, NotFoundError } from '../errors.ts';

/** Where live registrations come from: the database by default, the registrar's index if the server plugs it in. */
export interface RegistrationSource {
  listLive(tenantId?: number): RegistrationView[];
}

/** Block administration: the database by default; the server may wrap it to update the guard in memory too. */
export interface BlockControl {
  list(): BlockedSource[];
  clear(address?: string, actor?: string): number;
}

export interface ApiDeps {
  services: Pick<Services, 'db' | 'tenants' | 'extensions' | 'tokens' | 'audit' | 'bindings' | 'blocks' | 'cdrs' | 'trunks' | 'numbers' | 'terminals' | 'callRules'>;
  registrations?: RegistrationSource;
  blocks?: BlockControl;
  /** Calls in progress (call control); the /calls routes answer 503 without it. */
  calls?: LiveCalls;
  /**
   * Trunks' live state (the running server's trunk registrations and calls): one row per trunk,
   * { trunkId, name, kind, registration?: { state, lastStatus?, lastError?, expiresAt?, nextAttemptAt? },
   * activeCalls } (TrunkStatus in trunks/trunk-service.ts). GET /trunks/status answers 503 without it.
   */
  trunkStatus?: () => unknown[];
  /** Where uploaded greetings are stored (<data_dir>/greetings); PUT /numbers/:id/greeting answers 503 without it. */
  greetingsDir?: string;
  /** Prometheus registry for GET /metrics (default: src/metrics.ts's). */
  metrics?: { metrics(): Promise<string>; contentType: string };
}

export interface Caller extends Omit<VerifiedToken, 'tokenId'> {
  tokenId: number | null; // null: the local control socket
  actor: string; // "token:<id>" or "local-cli" in the audit log
}

/**
 * Set in the request's bindings by the control socket server (control-socket.ts) only: the
 * request came over the Unix socket, whose file mode is the authentication. The TCP server
 * cannot set it, so TCP requests always need a bearer token.
 */
export const LOCAL_ADMIN: unique symbol = Symbol('pbx.localAdmin');

export function isLocalAdmin(c: Context): boolean {
  return (c.env as { [LOCAL_ADMIN]?: unknown } | undefined)?.[LOCAL_ADMIN] === true;
}

/** The caller of every control-socket request: full access, audited as "local-cli". */
export const localAdmin: Caller = { tokenId: null, scopes: ['admin'], tenantId: null, actor: 'local-cli' };

export type ApiEnv = { Variables: { caller: Caller } };

export function caller(c: Context<ApiEnv>): Caller {
  return c.get('caller');
}

/** Platform-wide tokens only (not limited to a tenant). */
export function requirePlatform(c: Context<ApiEnv>, what: string): Caller {
  const who = caller(c);
  if (who.tenantId !== null) throw new ForbiddenError(`a tenant token cannot ${what}`);
  return who;
}

/**
 * The tenant named in the path (name or id; absent: the caller's tenant, else the default
 * tenant). A tenant token sees only its own tenant; others answer 404 like a missing one.
 */
export function tenantFor(c: Context<ApiEnv>, deps: ApiDeps, ref: string | undefined): Tenant {
  const who = caller(c);
  if (ref === undefined && who.tenantId !== null) return deps.services.tenants.resolve(who.tenantId);
  const t = deps.services.tenants.resolve(ref);
  if (who.tenantId !== null && t.id !== who.tenantId) throw new NotFoundError(`tenant ${ref} does not exist`);
  return t;
}

/** The JSON body validated against a zod schema; a 400 naming each bad field otherwise. */
export async function jsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  let raw: unknown;
  const text = await c.req.text();
  if (text.trim() === '') raw = {};
  else {
    try {
      raw = JSON.parse(text);
    } catch {
      throw new InvalidError('the request body must be JSON');
    }
  }
  const r = schema.safeParse(raw);
  if (!r.success) {
    const msg = r.error.issues
      .map((i) => {
        const path = i.path.map(String).join('.');
        if (i.code === 'unrecognized_keys') return i.keys.map((k) => `${path ? path + '.' : ''}${k}: unknown field`).join('; ');
        return `${path || 'body'}: ${i.message}`;
      })
      .join('; ');
    throw new InvalidError(msg);
  }
  return r.data;
}

export function intQuery(c: Context, name: string, fallback: number, min: number, max: number): number {
  const v = c.req.query(name);
  if (v === undefined || v === '') return fallback;
  if (!/^[0-9]+$/.test(v) || Number(v) < min || Number(v) > max) throw new InvalidError(`query parameter ${name} must be a whole number from ${min} to ${max}`);
  return Number(v);
}
