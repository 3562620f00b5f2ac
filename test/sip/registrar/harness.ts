// A registrar wired to in-memory ports and a settable clock, driven like a phone would.
import { AuthFailureLimiter } from '../../../src/sip/guard/auth-failure-limiter.ts';
import { ScannerFilter } from '../../../src/sip/guard/scanner-filter.ts';
import { DigestAuthenticator, type DigestOptions } from '../../../src/sip/digest.ts';
import { LocationService } from '../../../src/sip/registrar/location.ts';
import { Registrar, type RegistrarOptions } from '../../../src/sip/registrar/registrar.ts';
import { createIngress } from '../../../src/sip/ingress.ts';
import type { Peer } from '../../../src/sip/message.ts';
import { createLogger } from '../../../src/log.ts';
import { authorize, FakeIncoming, parseChallenge, register, type RegisterSpec } from '../../support/sip-builder.ts';
import { Clock, MemoryAccounts, MemoryBindingStore, MemoryBlockStore } from '../../support/registrar-fakes.ts';

export const REALM = 'pbx.example.com';
export const log = createLogger('silent');

export function lan(port = 5060, address = '192.0.2.10'): Peer {
  return { transport: 'udp', address, port };
}

export function createHarness(opts: { registrar?: Partial<RegistrarOptions>; digest?: DigestOptions } = {}) {
  const clock = new Clock();
  const accounts = new MemoryAccounts(REALM);
  accounts.add({ user: '100', password: 'pw-100' });
  accounts.add({ user: '101', password: 'pw-101', maxContacts: 1 });
  const bindingStore = new MemoryBindingStore();
  const blockStore = new MemoryBlockStore();
  const location = new LocationService({ store: bindingStore, now: clock.now, log });
  const limiter = new AuthFailureLimiter({ store: blockStore, now: clock.now, log });
  const digest = new DigestAuthenticator({ now: clock.now, ...opts.digest });
  const registrar = new Registrar({
    accounts, location, digest, limiter, now: clock.now, log, ...opts.registrar,
  });
  // REGISTERs enter through the ingress, as in the server: it drops blocked sources and scanners.
  const ingress = createIngress({
    sourceGuard: limiter,
    userAgentGuard: new ScannerFilter(),
    allow: ['REGISTER'],
    handlers: { REGISTER: (incoming) => registrar.handle(incoming) },
  });
  let cseq = 1;

  /** Sends one REGISTER as given. */
  function send(spec: RegisterSpec, source: Peer = lan()): FakeIncoming {
    const incoming = new FakeIncoming(register({ ...spec, cseq: spec.cseq ?? cseq++ }), source);
    ingress(incoming);
    return incoming;
  }

  /** REGISTER → 401 → REGISTER with credentials, as a phone does. Returns the second exchange. */
  function registerWithAuth(
    spec: RegisterSpec,
    password: string,
    source: Peer = lan(),
    choose: { algorithm?: 'MD5' | 'SHA-256'; username?: string } = {},
  ): FakeIncoming {
    const first = send({ ...spec, cseq: undefined }, source);
    if (first.last?.status !== 401) return first;
    const challenges = first.header('WWW-Authenticate').map(parseChallenge);
    const c = challenges.find((x) => x.algorithm === (choose.algorithm ?? 'MD5')) ?? challenges[0];
    const authorization = [authorize({
      username: choose.username ?? spec.user, password, realm: c.realm, nonce: c.nonce, algorithm: c.algorithm, uri: `sip:${spec.domain ?? REALM}`,
    })];
    return send({ ...spec, cseq: undefined, authorization }, source);
  }

  return { clock, accounts, bindingStore, blockStore, location, limiter, digest, registrar, send, registerWithAuth };
}
