// Security: persistence and administration of sources blocked after authentication failures.
export { SqliteBlockStore, BlockAdmin } from './block-store.ts';
export { blockedSource } from './schema.ts';
