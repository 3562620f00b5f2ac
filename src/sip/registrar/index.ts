// The registrar: REGISTER handling with digest auth, the location service (where each
// extension's terminals are), and NAT keep-alive. The composition root wires:
//   const location = new LocationService({ store: bindingStore }); location.load(); location.start();
//   const limiter = new AuthFailureLimiter({ store: blockStore }); limiter.start();
//   const registrar = new Registrar({ accounts, location, digest: new DigestAuthenticator(), limiter });
//   ingress handlers: { REGISTER: (i) => registrar.handle(i) }, sourceGuard: limiter, userAgentGuard: new ScannerFilter()
//   new NatKeepalive({ stack, location }).start();
// Call control asks `location.contactsOf(extensionId)` where an extension rings.
export type { Account, AccountSource, Binding, BindingStore, BlockedSource, BlockStore } from './ports.ts';
export { LocationService, contactKey, type BindingChange, type LocationEvent, type LocationListener, type LocationServiceOptions } from './location.ts';
export { Registrar, isNatted, type RegistrarOptions } from './registrar.ts';
export { NatKeepalive, type NatKeepaliveOptions } from './keepalive.ts';
export { DigestAuthenticator, type DigestAlgorithm, type DigestOptions } from '../digest.ts';
export { AuthFailureLimiter, type AuthFailureLimiterOptions } from '../guard/auth-failure-limiter.ts';
export { ScannerFilter, DEFAULT_SCANNER_USER_AGENTS, type ScannerFilterOptions } from '../guard/scanner-filter.ts';
