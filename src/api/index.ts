// The HTTP admin API: the Hono app factory (testable with app.request()) and the HTTP server.
export { createApiApp, type ApiDeps } from './app.ts';
export { serveApi, type RunningApi } from './serve.ts';
export { serveControlSocket, controlSocketPath, type ControlSocket } from './control-socket.ts';
export type { RegistrationSource, BlockControl, Caller } from './context.ts';
