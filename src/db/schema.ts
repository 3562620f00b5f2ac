// Every table of the PBX, collected from the areas that own them (drizzle-kit reads this file).
export { tenant } from '../tenancy/schema.ts';
export { extension } from '../directory/schema.ts';
export { registration } from '../directory/registration-schema.ts';
export { blockedSource } from '../security/schema.ts';
export { apiToken } from '../auth/schema.ts';
export { auditLog } from '../audit/schema.ts';
export { call, callLeg, recording } from '../cdr/schema.ts';
export { trunk } from '../trunks/schema.ts';
export { didNumber, numberBlock } from '../numbers/schema.ts';
export { terminal } from '../directory/terminal-schema.ts';
export { extensionCallRule } from '../directory/call-rule-schema.ts';
export { outbox } from '../notify/schema.ts';
export { voicemailMessage } from '../voicemail/schema.ts';
export { department, employee, contact, contactNumber } from '../directory/organisation-schema.ts';
