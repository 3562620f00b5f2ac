// Admin API authentication: hashed bearer tokens with scopes and an optional tenant limit.
export { TokenService, hashToken, SCOPES, TOKEN_PREFIX, type Scope, type TokenInfo, type VerifiedToken } from './token-service.ts';
export { apiToken, type ApiTokenRow } from './schema.ts';
