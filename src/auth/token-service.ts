// Admin API tokens: created with 32 random bytes (shown once, prefixed "pbx_"), stored as the
// SHA-256 of the whole token, verified by hashing what the client sends (a unique-index probe,
// no secret comparison in JS), revocable. A token may be limited to one tenant.
import { createHash, randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { PbxDb } from '../db/open.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { InvalidError, NotFoundError } from '../errors.ts';
import type { RandomBytes } from '../directory/sip-password.ts';

/** admin: everything the token's tenant scope allows; read: GET requests only. */
export type Scope = 'admin' | 'read';
export const SCOPES: readonly Scope[] = ['admin', 'read'];
export const TOKEN_PREFIX = 'pbx_';

export interface TokenInfo {
  id: number;
  name: string;
  scopes: Scope[];
  tenantId: number | null;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

export interface VerifiedToken {
  tokenId: number;
  scopes: Scope[];
  tenantId: number | null;
}

interface Row {
  id: number;
  name: string;
  token_hash: string;
  scopes: string;
  tenant_id: number | null;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

const toInfo = (r: Row): TokenInfo => ({
  id: r.id,
  name: r.name,
  scopes: r.scopes.split(' ').filter(Boolean) as Scope[],
  tenantId: r.tenant_id,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
});

export class TokenService {
  private readonly byHash: Database.Statement<[string], Row>;
  private readonly touch: Database.Statement<[number, number]>;

  constructor(
    private readonly db: PbxDb,
    private readonly audit: AuditLog,
    private readonly now: () => number = Date.now,
    private readonly random: RandomBytes = randomBytes,
  ) {
    this.byHash = db.sqlite.prepare('SELECT * FROM api_token WHERE token_hash = ?');
    this.touch = db.sqlite.prepare('UPDATE api_token SET last_used_at = ? WHERE id = ?');
  }

  /** Creates a token; the returned `token` is never retrievable again. */
  create(input: { name: string; scopes?: Scope[]; tenantId?: number | null }, actor = 'system'): { token: string; info: TokenInfo } {
    const name = input.name?.trim();
    if (!name || name.length > 64) throw new InvalidError('token name must be 1 to 64 characters');
    const scopes = input.scopes && input.scopes.length > 0 ? [...new Set(input.scopes)] : (['admin'] as Scope[]);
    for (const s of scopes) if (!SCOPES.includes(s)) throw new InvalidError(`unknown scope ${JSON.stringify(s)} (known: ${SCOPES.join(', ')})`);
    const token = TOKEN_PREFIX + this.random(32).toString('base64url');
    const info = this.db.sqlite
      .prepare('INSERT INTO api_token (name, token_hash, scopes, tenant_id, created_at) VALUES (?, ?, ?, ?, ?) RETURNING *')
      .get(name, hashToken(token), scopes.join(' '), input.tenantId ?? null, this.now()) as Row;
    this.audit.record({ actor, action: 'token.create', target: `token:${info.id}`, tenantId: input.tenantId ?? null, detail: { name, scopes } });
    return { token, info: toInfo(info) };
  }

  list(opts: { tenantId?: number; includeRevoked?: boolean } = {}): TokenInfo[] {
    const rows = this.db.sqlite.prepare('SELECT * FROM api_token ORDER BY id').all() as Row[];
    return rows
      .filter((r) => (opts.includeRevoked ?? true) || r.revoked_at === null)
      .filter((r) => opts.tenantId === undefined || r.tenant_id === opts.tenantId)
      .map(toInfo);
  }

  revoke(id: number, actor = 'system'): TokenInfo {
    const r = this.db.sqlite.prepare('SELECT * FROM api_token WHERE id = ?').get(id) as Row | undefined;
    if (!r) throw new NotFoundError(`token ${id} does not exist`);
    if (r.revoked_at === null) {
      r.revoked_at = this.now();
      this.db.sqlite.prepare('UPDATE api_token SET revoked_at = ? WHERE id = ?').run(r.revoked_at, id);
      this.audit.record({ actor, action: 'token.revoke', target: `token:${id}`, tenantId: r.tenant_id });
    }
    return toInfo(r);
  }

  /** The token's identity and rights, or undefined for an unknown or revoked token. */
  verify(token: string): VerifiedToken | undefined {
    if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return undefined;
    const r = this.byHash.get(hashToken(token));
    if (!r || r.revoked_at !== null) return undefined;
    this.touch.run(this.now(), r.id);
    return { tokenId: r.id, scopes: toInfo(r).scopes, tenantId: r.tenant_id };
  }
}
