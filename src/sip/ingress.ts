// The front door for every new SIP request: drops what must get no answer (blocked
// sources, scanners), then hands the request to the handler for its method. Methods
// nobody handles get the RFC 3261 answer: 405 for methods we know, 501 for the rest.
import type { IncomingRequest, RequestHandler } from './stack-api.ts';
import { blockedSourceDrops, sipScannerDropped } from '../metrics.ts';
import { KNOWN_METHODS } from './message.ts';
import { optionTags } from './header-values.ts';

export interface SourceGuard {
  isBlocked(address: string): boolean;
}

export interface UserAgentGuard {
  isScanner(userAgent: string | undefined): boolean;
}

export interface IngressOptions {
  sourceGuard: SourceGuard;
  userAgentGuard: UserAgentGuard;
  handlers: Partial<Record<string, RequestHandler>>;
  /** Methods this PBX implements somewhere (listed in Allow); others get 501. */
  allow: readonly string[];
  /** SIP option tags we support; a Require naming any other gets 420 (RFC 3261 §8.2.2.3). */
  supported?: readonly string[];
}

export function createIngress(options: IngressOptions): RequestHandler {
  const allowHeader = options.allow.join(', ');
  const supported = new Set((options.supported ?? []).map((tag) => tag.toLowerCase()));
  return (incoming: IncomingRequest) => {
    const { request, source } = incoming;
    if (options.sourceGuard.isBlocked(source.address)) {
      blockedSourceDrops.inc();
      return;
    }
    if (options.userAgentGuard.isScanner(request.headers['user-agent'])) {
      sipScannerDropped.inc();
      return;
    }
    const handler = options.handlers[request.method];
    if (!handler) {
      if (request.method === 'ACK') return; // an ACK nobody waits for is absorbed
      const status = KNOWN_METHODS.has(request.method) ? 405 : 501;
      return incoming.respond(status, undefined, { headers: { Allow: allowHeader } });
    }
    if (request.method !== 'ACK' && request.method !== 'CANCEL') {
      const unsupported = unsupportedRequirements(request.headers.require, supported);
      if (unsupported.length > 0) return incoming.respond(420, 'Bad Extension', { headers: { Unsupported: unsupported.join(', ') } });
    }
    handler(incoming);
  };
}

function unsupportedRequirements(require: unknown, supported: ReadonlySet<string>): string[] {
  return optionTags(require).filter((tag) => !supported.has(tag.toLowerCase()));
}

/** OPTIONS: 200 with capabilities; a Server banner only when the operator configured one. */
export function createOptionsHandler(allow: readonly string[], serverHeader?: string): RequestHandler {
  const headers: Record<string, string> = {
    Allow: allow.join(', '),
    Accept: 'application/sdp',
    'Accept-Language': 'en',
  };
  if (serverHeader) headers.Server = serverHeader;
  return (incoming) => incoming.respond(200, 'OK', { headers });
}
