// The OpenAPI 3.1 description of the admin API (GET /openapi.json). Request bodies come from the
// same zod schemas the routes validate with, so the description cannot drift from the checks.
import { z } from 'zod';
import { tenantBody, tenantPatchBody, tenantSettingsPatchBody } from './tenant-routes.ts';
import { addBody, passwordBody, patchBody } from './extension-routes.ts';
import { createBody } from './token-routes.ts';
import { hangupBody } from './call-routes.ts';
import { trunkAddBody, trunkPatchBody } from './trunk-routes.ts';
import { blockBody, numberAddBody, numberPatchBody, numberTerminalBody } from './number-routes.ts';
import { extensionTerminalBody, ruleBody } from './extension-terminal-routes.ts';
import { OUTBOX_QUERY } from './outbox-routes.ts';
import { DIRECTORY_EXPORT_QUERY, DIRECTORY_IMPORT_QUERY, DIRECTORY_QUERY } from './directory-io-routes.ts';
import {
  CONTACT_QUERY,
  EMPLOYEE_QUERY,
  contactAddBody,
  contactFromCallBody,
  contactPatchBody,
  departmentAddBody,
  departmentPatchBody,
  employeeAddBody,
  employeePatchBody,
} from './directory-routes.ts';

type Op = {
  summary: string;
  body?: z.ZodType;
  bodyOptional?: boolean;
  /** A file as the request body, in one of these media types. */
  upload?: string[];
  status?: number;
  open?: boolean;
  query?: string[];
};

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
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'integer' } };
const trunkParam = { name: 'trunk', in: 'path', required: true, schema: { type: 'string' }, description: 'trunk name or id' };
const didParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'number id, or the number in E.164 (+861088886666)' };

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
  [`${prefix}/{number}/voicemail-greeting`]: {
    put: { summary: "The voicemail box's greeting: an 8 kHz mono WAV (PCM16, A-law or µ-law); 400 says what is wrong with another", upload: ['audio/wav'], params: [...params, numberParam] },
    delete: { summary: "Back to the default voicemail prompt", params: [...params, numberParam] },
  },
  [`${prefix}/{number}/terminals`]: {
    get: { summary: "The extension's PSTN terminals (rung with its phones), in ring order", params: [...params, numberParam] },
    post: { summary: 'Ring a PSTN number too (phones + PSTN terminals ≤ max terminals ≤ 3)', body: extensionTerminalBody, status: 201, params: [...params, numberParam] },
  },
  [`${prefix}/{number}/terminals/{id}`]: { delete: { summary: 'Stop ringing a PSTN terminal', params: [...params, numberParam, idParam] } },
  [`${prefix}/{number}/rules`]: {
    get: { summary: 'Call rules: outbound allow/deny prefixes of outside numbers, inbound allow/deny extensions that may call it', params: [...params, numberParam] },
    post: { summary: 'Add a call rule (any allow rule in a scope makes it a whitelist)', body: ruleBody, status: 201, params: [...params, numberParam] },
  },
  [`${prefix}/{number}/rules/{id}`]: { delete: { summary: 'Remove a call rule', params: [...params, numberParam, idParam] } },
  [`${prefix}/{number}/devices`]: {
    get: {
      summary: 'What the extension rings: {extension, registered (SIP devices, live from the running PBX), pstn (terminals), total, limit, source}; registered + PSTN ≤ max terminals ≤ 3',
      params: [...params, numberParam],
    },
  },
});

const departmentParam = { name: 'department', in: 'path', required: true, schema: { type: 'string' }, description: 'department id, or its path URL-encoded (Sales%2FEast)' };
const employeeParam = { name: 'employee', in: 'path', required: true, schema: { type: 'string' }, description: 'employee id (E001)' };
const contactParam = { name: 'id', in: 'path', required: true, schema: { type: 'integer' }, description: 'contact id' };

const organisationOps = (prefix: string, params: object[]): Record<string, Record<string, Op & { params?: object[] }>> => ({
  [`${prefix}/departments`]: {
    get: { summary: 'The department tree, depth-first: {items: [{id, name, parentId, path, depth, employees, children}]}', params },
    post: { summary: 'Add a department at the top or under parent (id or path)', body: departmentAddBody, status: 201, params },
  },
  [`${prefix}/departments/{department}`]: {
    get: { summary: 'A department with its path and counts', params: [...params, departmentParam] },
    patch: { summary: 'Rename (name) and/or move (parent: id or path, null for the top level); never under itself or its sub-departments', body: departmentPatchBody, params: [...params, departmentParam] },
    delete: { summary: 'Remove a department; 409 while it has employees or sub-departments', params: [...params, departmentParam] },
  },
  [`${prefix}/employees`]: {
    get: { summary: 'Employees by employee id: {items, total, limit, offset}; department (with its sub-departments), active=true|false', query: EMPLOYEE_QUERY, params },
    post: {
      summary: 'Add an employee: {employee, extension}; an active one gets an extension at once (automatic numbering, or the extension given; its SIP password is returned this once)',
      body: employeeAddBody,
      status: 201,
      params,
    },
  },
  [`${prefix}/employees/{employee}`]: {
    get: { summary: 'An employee with department path and extension', params: [...params, employeeParam] },
    patch: { summary: 'Change an employee: {employee, extension}; activating gives an extension, extension renumbers it (unique)', body: employeePatchBody, params: [...params, employeeParam] },
    delete: { summary: 'Remove an employee and their extension (keepExtension=true: it stays as a function extension)', query: ['keepExtension'], params: [...params, employeeParam] },
  },
  [`${prefix}/employees/{employee}/deactivate`]: { post: { summary: 'Deactivate an employee (the extension stays)', params: [...params, employeeParam] } },
  [`${prefix}/contacts`]: {
    get: { summary: 'External contacts by name: {items, total, limit, offset}; owner=<employee id>; q=<name or number prefix> searches instead ({items})', query: CONTACT_QUERY, params },
    post: { summary: 'Add a contact: name, company, numbers (normalised; each number belongs to one contact), owner (employee id)', body: contactAddBody, status: 201, params },
  },
  [`${prefix}/contacts/from-call/{callId}`]: {
    post: {
      summary: "Add the call's outside party (the caller of an inbound call, the callee of an outbound one) as a contact",
      body: contactFromCallBody,
      status: 201,
      params: [...params, { name: 'callId', in: 'path', required: true, schema: { type: 'string' }, description: 'call id' }],
    },
  },
  [`${prefix}/contacts/{id}`]: {
    get: { summary: 'A contact with its numbers and account manager', params: [...params, contactParam] },
    patch: { summary: 'Change a contact (numbers replaces them all; owner null removes the account manager)', body: contactPatchBody, params: [...params, contactParam] },
    delete: { summary: 'Remove a contact with its numbers', params: [...params, contactParam] },
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
  '/tenants/{tenant}/settings': {
    get: { summary: "A tenant's call settings (operator, service hours, time zone, holiday calendar, IVR, international calls, dial plan, outbound trunks); snake_case keys", params: [tenantParam] },
    patch: {
      summary: 'Change call settings: keys given replace the stored ones (service_hours, ivr, international merge key by key), null goes back to the default (not for config-declared tenants)',
      body: tenantSettingsPatchBody,
      params: [tenantParam],
    },
  },
  '/trunks': {
    get: { summary: 'Trunks (secrets as ***): carriers first, then by priority', query: ['tenant'] },
    post: { summary: 'Add a trunk (platform tokens); gateway and pbx trunks name their tenant, carriers none', body: trunkAddBody, status: 201 },
  },
  '/trunks/status': {
    get: { summary: "Each trunk's registration state and calls in progress, from the running PBX: {items: [{trunkId, name, kind, registration?, activeCalls}]} (503 when it is not running)" },
  },
  '/trunks/{trunk}': {
    get: { summary: 'Show a trunk (secrets as ***)', params: [trunkParam] },
    patch: { summary: "Change a trunk (platform tokens; kind and tenant stay; a secret sent back as *** is kept; null clears)", body: trunkPatchBody, params: [trunkParam] },
    delete: { summary: 'Remove a trunk no number and no outbound list uses (platform tokens)', params: [trunkParam] },
  },
  '/numbers': {
    get: { summary: 'Numbers (DIDs), by tenant then number', query: ['tenant'] },
    post: { summary: "Add a number to a tenant (platform tokens): E.164 or national in the tenant's country; one main number per tenant", body: numberAddBody, status: 201 },
  },
  '/numbers/{id}': {
    get: { summary: 'Show a number', params: [didParam] },
    patch: { summary: 'Change a number (terminals replaces them all; leaving direct mode drops them, leaving sipTrunk mode the trunk)', body: numberPatchBody, params: [didParam] },
    delete: { summary: 'Remove a number with its blacklist and terminals (platform tokens)', params: [didParam] },
  },
  '/numbers/{id}/greeting': {
    put: { summary: "The number's greeting (switchboard / direct line): an 8 kHz mono WAV (PCM16, A-law or µ-law), stored under the data directory", upload: ['audio/wav'], params: [didParam] },
    delete: { summary: 'Back to the built-in welcome prompt', params: [didParam] },
  },
  '/numbers/{id}/blacklist': {
    get: { summary: "The number's caller blacklist", params: [didParam] },
    post: { summary: 'Blacklist a caller number (13812345678) or a prefix (0755*)', body: blockBody, status: 201, params: [didParam] },
  },
  '/numbers/{id}/blacklist/{entry}': {
    delete: { summary: 'Take an entry off the blacklist', params: [didParam, { name: 'entry', in: 'path', required: true, schema: { type: 'string' }, description: '13812345678 or 0755*' }] },
  },
  '/numbers/{id}/terminals': {
    get: { summary: "A direct line's terminals in ring order", params: [didParam] },
    post: { summary: 'Add a terminal (at most 3): {extension} of the same tenant, or {pstn}', body: numberTerminalBody, status: 201, params: [didParam] },
  },
  '/numbers/{id}/terminals/{terminal}': {
    delete: { summary: 'Remove a terminal (a direct line keeps at least one)', params: [didParam, { name: 'terminal', in: 'path', required: true, schema: { type: 'integer' } }] },
  },
  ...extensionOps('/tenants/{tenant}/extensions', [tenantParam]),
  ...extensionOps('/extensions', []),
  ...organisationOps('/tenants/{tenant}', [tenantParam]),
  ...organisationOps('', []),
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
  '/voicemail': {
    get: {
      summary: "Voicemail messages, newest first ({items}): one box (extension=N, or general=true for the tenant's general box) or every box of a tenant; deleted ones only with status=deleted",
      query: ['tenant', 'extension', 'general', 'status', 'limit'],
    },
  },
  '/voicemail/{id}': {
    get: { summary: 'A voicemail message: box, caller, time, duration, status (new, saved, deleted), when it was heard', params: [idParam] },
    delete: { summary: "Delete a voicemail message (its file is removed; the phones' message-waiting lamps follow)", params: [idParam] },
  },
  '/voicemail/{id}/audio': {
    get: { summary: 'The message as WAV (audio/wav); Range: bytes=… gives 206, 416 when outside the file; 404 once deleted', params: [idParam] },
  },
  '/voicemail/{id}/heard': { post: { summary: 'Mark a message heard (new → saved)', params: [idParam] } },
  '/outbox': {
    get: {
      summary: 'SMS and webhook outbox, newest first: {items, nextBefore}; status pending|sending|sent|dead, purpose, channel sms|webhook; before=<id> for the next page',
      query: OUTBOX_QUERY,
    },
  },
  '/outbox/{id}': { get: { summary: 'One outbox message (attempts, next attempt, last error)', params: [idParam] } },
  '/outbox/{id}/retry': { post: { summary: 'Send a dead (or waiting) message again now (a dead one gets its attempts back); 409 for sent or in-flight messages', params: [idParam] } },
  '/directory': {
    get: {
      summary:
        "A tenant's extensions with their employee and department, a page at a time: {items: [{extension, employee, department}], nextCursor}; search= the start of an extension number (digits) or of a name (by=number|name to choose), cursor= the previous page's nextCursor, limit 1-1000 (default 50)",
      query: DIRECTORY_QUERY,
    },
  },
  '/directory/export': {
    get: {
      summary: 'The directory as a file, streamed (format=csv, the default, or xlsx): employee_no, name, department (path), mobile, title, active, extension, extension_kind',
      query: DIRECTORY_EXPORT_QUERY,
    },
  },
  '/directory/import': {
    post: {
      summary:
        'Import a directory file (the body; format=csv|xlsx, else from Content-Type): every row checked first, then all applied or nothing. Employees upserted by employee_no, extensions created or renumbered as given, activated employees without one numbered automatically. 200 {rows, created, updated, unchanged, numbered, errors: [], …}; 422 {error, report} listing every problem as {row, column, message}. dryRun=true checks and counts only',
      upload: ['text/csv', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
      query: DIRECTORY_IMPORT_QUERY,
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
        ...(op.upload ? { requestBody: { required: true, content: Object.fromEntries(op.upload.map((t) => [t, { schema: { type: 'string', format: 'binary' } }])) } } : {}),
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
