// Provisions the REGISTER benchmark's users (users.json from make-users.mjs) into a PBX data
// directory through the service layer, as `pbx ext add` would one by one.
// Usage: node --import tsx bench/register/provision-pbx.ts USERS_JSON DATA_DIR
import { readFileSync } from 'node:fs';
import { configSchema } from '../../src/config/schema.ts';
import { bootServices } from '../../src/services.ts';

const [usersFile, dataDir] = process.argv.slice(2);
if (!usersFile || !dataDir) {
  console.error('usage: provision-pbx.ts USERS_JSON DATA_DIR');
  process.exit(2);
}
const users = JSON.parse(readFileSync(usersFile, 'utf8')) as Array<{ username: string; password: string }>;
const { services } = bootServices(configSchema.parse({ data_dir: dataDir, log: { level: 'silent' } }));
const tenantId = services.tenants.defaultTenant().id;
const { added } = services.extensions.provisionMany(
  tenantId,
  users.map((u) => ({ number: u.username, password: u.password, maxTerminals: 3 })),
);
services.close();
console.error(`provisioned ${added} extensions into ${dataDir}`);
