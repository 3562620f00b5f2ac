// The admin API (Hono). GET /health, GET /metrics and GET /openapi.json are open (bind the API to loopback, the
// default, or firewall it, to keep metrics private); everything else needs a bearer token from
// `bin/pbx token create` — except over the local control socket (control-socket.ts), whose file
// mode is the authentication. Tokens with scope "read" may only GET; tokens limited to a tenant
// see only that tenant. Errors are JSON: {"error": {"code", "message"}} with the matching status.
import { Hono } from 'hono';
import { registry } from '../metrics.ts';
import { UnauthorizedError, ForbiddenError, UserError } from '../errors.ts';
import { isLocalAdmin, localAdmin, type ApiDeps, type ApiEnv } from './context.ts';
import { tenantRoutes } from './tenant-routes.ts';
import { extensionRoutes } from './extension-routes.ts';
import { registrationRoutes } from './registration-routes.ts';
import { blockRoutes } from './block-routes.ts';
import { tokenRoutes } from './token-routes.ts';
import { auditRoutes } from './audit-routes.ts';
import { callRoutes } from './call-routes.ts';
import { cdrRoutes } from './cdr-routes.ts';
import { recordingRoutes } from './recording-routes.ts';
import { trunkRoutes } from './trunk-routes.ts';
import { numberRoutes } from './number-routes.ts';
import { extensionTerminalRoutes } from './extension-terminal-routes.ts';
import { voicemailRoutes, type VoicemailApiDeps } from './voicemail-routes.ts';
import { outboxRoutes } from './outbox-routes.ts';
import { directoryIoRoutes, type DirectoryIoApiDeps } from './directory-io-routes.ts';
import { contactRoutes, departmentRoutes, employeeRoutes, extensionDeviceRoutes, type DirectoryApiDeps } from './directory-routes.ts';
import { openApiDocument } from './openapi.ts';

export type { ApiDeps } from './context.ts';

/**
 * `deps.services.voicemail` (Services has it) serves /voicemail; without it those routes answer 503.
 * The organisation (departments, employees, contacts, an extension's devices) needs Services' db and directory services.
 */
export function createApiApp(deps: ApiDeps & VoicemailApiDeps & DirectoryApiDeps & DirectoryIoApiDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const metrics = deps.metrics ?? registry;

  app.onError((err, c) => {
    if (err instanceof UserError) {
      if (err.status === 401) c.header('WWW-Authenticate', 'Bearer realm="pbx"');
      return c.json({ error: { code: err.code, message: err.message } }, err.status as 400);
    }
    return c.json({ error: { code: 'internal', message: 'internal error; see the server log' } }, 500);
  });
  app.notFound((c) => c.json({ error: { code: 'not_found', message: `no route ${c.req.method} ${c.req.path}` } }, 404));

  app.get('/health', (c) => c.json({ status: 'ok' }));
  app.get('/metrics', async (c) => c.body(await metrics.metrics(), 200, { 'Content-Type': metrics.contentType }));
  const openapi = openApiDocument();
  app.get('/openapi.json', (c) => c.json(openapi));

  app.use('*', async (c, next) => {
    if (isLocalAdmin(c)) {
      c.set('caller', localAdmin); // over the control socket (control-socket.ts)
      return next();
    }
    const header = c.req.header('Authorization') ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const verified = m ? deps.services.tokens.verify(m[1]!) : undefined;
    if (!verified) throw new UnauthorizedError(m ? 'invalid or revoked bearer token' : 'missing bearer token (Authorization: Bearer <token> from `bin/pbx token create`)');
    if (!verified.scopes.includes('admin') && c.req.method !== 'GET' && c.req.method !== 'HEAD')
      throw new ForbiddenError('this token has read-only scope');
    c.set('caller', { ...verified, actor: `token:${verified.tokenId}` });
    await next();
  });

  app.route('/tenants', tenantRoutes(deps));
  app.route('/tenants/:tenant/extensions', extensionRoutes(deps));
  app.route('/extensions', extensionRoutes(deps));
  app.route('/tenants/:tenant/extensions', extensionTerminalRoutes(deps));
  app.route('/extensions', extensionTerminalRoutes(deps));
  app.route('/tenants/:tenant/extensions', extensionDeviceRoutes(deps));
  app.route('/extensions', extensionDeviceRoutes(deps));
  for (const [path, routes] of [
    ['departments', departmentRoutes],
    ['employees', employeeRoutes],
    ['contacts', contactRoutes],
  ] as const) {
    app.route(`/tenants/:tenant/${path}`, routes(deps));
    app.route(`/${path}`, routes(deps));
  }
  app.route('/trunks', trunkRoutes(deps));
  app.route('/numbers', numberRoutes(deps));
  app.route('/registrations', registrationRoutes(deps));
  app.route('/blocked-sources', blockRoutes(deps));
  app.route('/tokens', tokenRoutes(deps));
  app.route('/audit', auditRoutes(deps));
  app.route('/calls', callRoutes(deps));
  app.route('/cdrs', cdrRoutes(deps));
  app.route('/recordings', recordingRoutes(deps));
  app.route('/voicemail', voicemailRoutes(deps));
  app.route('/outbox', outboxRoutes(deps));
  app.route('/directory', directoryIoRoutes(deps));
  return app;
}
