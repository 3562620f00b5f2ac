// Directory: extensions (service with the bulk path and the hot lookup), SIP passwords, the
// registrar's AccountSource and BindingStore over the database.
export {
  ExtensionService,
  checkNumber,
  EXTENSION_NUMBER,
  RING_STRATEGIES,
  type Extension,
  type ExtensionAccount,
  type ExtensionInput,
  type ExtensionPatch,
  type AddResult,
  type Page,
  type ProvisionOptions,
  type RingStrategy,
} from './extension-service.ts';
export { generateSipPassword, checkSipPassword, type RandomBytes } from './sip-password.ts';
export { DirectoryAccountSource } from './account-source.ts';
export { SqliteBindingStore, type RegistrationView } from './registration-store.ts';
export { extension, type ExtensionRow } from './schema.ts';
export { registration } from './registration-schema.ts';
