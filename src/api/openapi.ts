// The OpenAPI 3.1 description of the admin API (GET /openapi.json). Request bodies come from the
// same zod schemas the routes validate with, so the description cannot drift from the checks.
import { z } from 'zod';
import { tenantBody, tenantPatchBody } from './tenant-routes.ts';
import { addBody, passwordBody, patchBody } from './extension-routes.ts';
import { createBody } from './token-routes.ts';
import { hangupBody } from './call-routes.ts';

type Op = { summary: string; body?: z.ZodType; bodyOptional?: boolean; status?: number; open?: boolean; query?: string[] };

const schema = (s: z.ZodType) => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(s, { io: 'input' }) as Record<string, unknown>;
  return rest;
};

const errorSchema = {
  type: 'object',
  properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } }, required: ['code', 'message'] } },
  required: ['error'],
};

const tenantParam = { name: 'tenant', in: 'path', required: true, schema: { type: 'string' }, description: 'tenant name or id' };
const callParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'call id' };
const numberParam = { name: 'number', in: 'path', required: true, schema: { type: 'string' }, description: 'extension number' };

const extensionOps = (prefix: string, params: object[]): Record<string, Record<string, Op & { params?: object[] }>> => ({
  [`${prefix}`]: {
    get: { summary: 'List extensions (ordered by number)', query: ['limit', 'offset'], params },
    post: { summary: 'Add an extension (password generated and returned when absent)', body: addBody, status: 201, params },
  },
  [`${prefix}/{number}`]: {
    get: { summary: 'Show an extension', params: [...params, numberParam] },
    patch: { summary: 'Change settings of an extension', body: patchBody, params: [...params, numberParam] },
    delete: { summary: 'Remove an extension', params: [...params, numberParam] },
  },
  [`${prefix}/{number}/password`]: {
    post: { summary: 'Set (or generate) the SIP password', body: passwordBody, params: [...params, numberParam] },
  },
});

const paths: Record<string, Record<string, Op & { params?: object[] }>> = {
  '/health': { get: { summary: 'Liveness', open: true } },
  '/metrics': { get: { summary: 'Prometheus metrics (text)', open: true } },
  '/openapi.json': { get: { summary: 'This document', open: true } },
  '/tenants': { get: { summary: 'List tenants' }, post: { summary: 'Add a tenant (platform tokens)', body: tenantBody, status: 201 } },
  '/tenants/{tenant}': {
    get: { summary: 'Show a tenant', params: [tenantParam] },
    patch: { summary: 'Change a tenant\'s settings: recording on/off, recording retention in days (not for config-declared tenants)', body: tenantPatchBody, params: [tenantParam] },
    delete: { summary: 'Remove a tenant (platform tokens)', params: [tenantParam] },
  },
  ...extensionOps('/tenants/{tenant}/extensions', [tenantParam]),
  ...extensionOps('/extensions', []),
  '/registrations': { get: { summary: 'Live registrations', query: ['tenant'] } },
  '/blocked-sources': { get: { summary: 'Sources blocked after auth failures' }, delete: { summary: 'Clear every block' } },
  '/blocked-sources/{address}': { delete: { summary: 'Clear one block', params: [{ name: 'address', in: 'path', required: true, schema: { type: 'string' } }] } },
  '/tokens': { get: { summary: 'List API tokens' }, post: { summary: 'Create a token (returned once)', body: createBody, status: 201 } },
  '/tokens/{id}': { delete: { summary: 'Revoke a token', params: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }] } },
  '/audit': { get: { summary: 'Audit trail, newest first', query: ['limit'] } },
  '/calls': { get: { summary: 'Calls in progress, oldest first (503 when call control is not running)', query: ['tenant'] } },
  '/calls/{id}': { get: { summary: 'Show a call in progress', params: [callParam] } },
  '/calls/{id}/hangup': { post: { summary: 'End a call in progress', body: hangupBody, bodyOptional: true, params: [callParam] } },
  '/cdrs': {
    get: {
      summary: 'Call records, newest first: {items, nextCursor}; since/until are ISO dates or ms; extension matches caller, callee or a leg that rang it',
      query: ['tenant', 'since', 'until', 'extension', 'disposition', 'limit', 'cursor'],
    },
  },
  '/cdrs/{id}': { get: { summary: 'A call record with its legs and recordings', params: [callParam] } },
  '/recordings': { get: { summary: 'Recordings, newest first (deleted ones say when): {items, nextCursor}', query: ['tenant', 'since', 'until', 'status', 'limit', 'cursor'] } },
  '/recordings/{id}': {
    get: {
      summary: 'The recording as a two-channel WAV (audio/wav); Range: bytes=… gives 206, 416 when outside the file; 404 when the retention policy deleted it',
      params: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }],
    },
  },
};

export function openApiDocument(): object {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [path, ops] of Object.entries(paths)) {
    out[path] = {};
    for (const [method, op] of Object.entries(ops)) {
      const errors = { description: 'error', content: { 'application/json': { schema: errorSchema } } };
      out[path]![method] = {
        summary: op.summary,
        ...(op.open ? { security: [] } : {}),
        parameters: [...(op.params ?? []), ...(op.query ?? []).map((q) => ({ name: q, in: 'query', required: false, schema: { type: 'string' } }))],
        ...(op.body ? { requestBody: { required: !op.bodyOptional, content: { 'application/json': { schema: schema(op.body) } } } } : {}),
        responses: { [String(op.status ?? 200)]: { description: 'success' }, '4XX': errors },
      };
    }
  }
  return {
    openapi: '3.1.0',
    info: { title: 'tspbx admin API', version: '0.1.0', description: 'Bearer tokens from `bin/pbx token create`; errors are {"error":{"code","message"}}.' },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
    paths: out,
  };
}
