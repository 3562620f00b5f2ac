import { afterEach, describe, expect, it } from 'vitest';
import { tempServices } from '../fixtures.ts';
import { hashToken } from '../../src/auth/index.ts';

let env: ReturnType<typeof tempServices>;
afterEach(() => env?.cleanup());

describe('TokenService', () => {
  it('creates a token shown once, stores only its hash, verifies and revokes', () => {
    env = tempServices();
    const { tokens, db } = env.services;
    const { token, info } = tokens.create({ name: 'ci', scopes: ['admin'] }, 'cli:test');
    expect(token).toMatch(/^pbx_[A-Za-z0-9_-]{43}$/);
    const stored = db.sqlite.prepare('SELECT token_hash FROM api_token WHERE id = ?').pluck().get(info.id);
    expect(stored).toBe(hashToken(token));
    expect(JSON.stringify(db.sqlite.prepare('SELECT * FROM api_token').all())).not.toContain(token);

    expect(tokens.verify(token)).toEqual({ tokenId: info.id, scopes: ['admin'], tenantId: null });
    expect(tokens.list()[0]!.lastUsedAt).not.toBeNull();
    expect(tokens.verify(token + 'x')).toBeUndefined();
    expect(tokens.verify('garbage')).toBeUndefined();

    tokens.revoke(info.id);
    expect(tokens.verify(token)).toBeUndefined();
    expect(tokens.list()[0]!.revokedAt).not.toBeNull();
    expect(() => tokens.revoke(999)).toThrow(/token 999 does not exist/);
  });

  it('scopes and tenant limits', () => {
    env = tempServices();
    const { tokens, tenants } = env.services;
    const acme = tenants.add({ name: 'acme', domain: 'acme.example' });
    const { token } = tokens.create({ name: 'acme-ro', scopes: ['read'], tenantId: acme.id });
    expect(tokens.verify(token)).toMatchObject({ scopes: ['read'], tenantId: acme.id });
    expect(() => tokens.create({ name: 'x', scopes: ['root' as never] })).toThrow(/unknown scope/);
    expect(() => tokens.create({ name: '' })).toThrow(/token name/);
  });
});
