// Digest authentication of any request from an extension: REGISTER is challenged with
// 401/WWW-Authenticate, everything else (INVITE, SUBSCRIBE, …) with 407/Proxy-Authenticate
// (RFC 3261 §22). A wrong password and an unknown user get the same fresh challenge and
// count as a failure of the source; a stale nonce with the right password is re-challenged
// with stale=true and not counted.
import type { IncomingRequest } from './stack-api.ts';
import type { DigestAuthenticator } from './digest.ts';
import type { AuthFailureLimiter } from './guard/auth-failure-limiter.ts';
import type { Account, AccountSource } from './registrar/ports.ts';
import { authFailures } from '../metrics.ts';
import { log as defaultLog, type Logger } from '../log.ts';

export interface RequestAuthenticatorOptions {
  accounts: AccountSource;
  digest: DigestAuthenticator;
  limiter: AuthFailureLimiter;
  /**
   * Clients challenged with the first algorithm only: some (libre ≤ 1.x, so baresip 1.x)
   * abort on a challenge list that holds an algorithm they do not know instead of skipping it.
   */
  firstChallengeOnly?: { matches(userAgent: string | undefined): boolean };
  log?: Logger;
}

export class RequestAuthenticator {
  private readonly log: Logger;

  constructor(private readonly options: RequestAuthenticatorOptions) {
    this.log = options.log ?? defaultLog;
  }

  /**
   * The account whose credentials the request carries, for the user's `domain` (which picks
   * the tenant). Undefined when it did not authenticate: the challenge has been sent.
   */
  authenticate(incoming: IncomingRequest, domain: string): Account | undefined {
    const { request: req, source } = incoming;
    const asRegistrar = req.method === 'REGISTER';
    const realm = this.options.accounts.realmFor(domain);
    const result = this.options.digest.verify(
      { method: req.method, uri: req.uri, authorization: asRegistrar ? req.headers.authorization : req.headers['proxy-authorization'] },
      realm,
      (username) => this.options.accounts.find(domain, username),
    );
    if (result.kind === 'ok') return result.account;
    if (result.kind === 'failed') {
      authFailures.inc();
      this.options.limiter.recordFailure(source.address, result.reason);
      this.log.info({ source: source.address, method: req.method, username: result.username, domain, reason: result.reason }, 'authentication failed');
    }
    const firstOnly = this.options.firstChallengeOnly?.matches(req.headers['user-agent']) ?? false;
    const challenge = this.options.digest.challenge(realm, result.kind === 'challenge' && result.stale, firstOnly);
    if (asRegistrar) incoming.respond(401, 'Unauthorized', { headers: { 'WWW-Authenticate': challenge } });
    else incoming.respond(407, 'Proxy Authentication Required', { headers: { 'Proxy-Authenticate': challenge } });
    return undefined;
  }
}
