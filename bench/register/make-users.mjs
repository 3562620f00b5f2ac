#!/usr/bin/env node
// Generates the REGISTER benchmark's users:
//   users.csv        SIPp injection file (SEQUENTIAL): user;password;[authentication username=user password=pw]
//                    (field2 exists because SIPp 3.6.1 can't nest [field0] inside [authentication ...]
//                    in a scenario, but it does expand an [authentication ...] keyword that comes from
//                    an injection field -- see test/e2e/register-auth.xml)
//   subscriber.sql   INSERTs for Kamailio's auth_db `subscriber` table (sqlite)
//   users.json       the same accounts as JSON [{username,password,domain,ha1}] for our PBX
//
// Usage: node bench/register/make-users.mjs [--out DIR] [--count 10000] [--first 100000]
//                                         [--domain 127.0.0.1] [--realm <domain>]
// Passwords are deterministic (pw-<ext>-<hash>), so every run generates the same files.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: '.' },
    count: { type: 'string', default: '10000' },
    first: { type: 'string', default: '100000' },
    domain: { type: 'string', default: '127.0.0.1' },
    realm: { type: 'string' },
  },
});
const count = Number(values.count);
const first = Number(values.first);
const domain = values.domain;
const realm = values.realm ?? domain;
if (!Number.isInteger(count) || count < 1 || !Number.isInteger(first)) {
  throw new Error('--count and --first must be integers');
}
mkdirSync(values.out, { recursive: true });

const md5 = (s) => createHash('md5').update(s).digest('hex');
const csv = ['SEQUENTIAL'];
const sql = ['BEGIN TRANSACTION;', 'DELETE FROM subscriber;'];
const json = [];
for (let i = 0; i < count; i++) {
  const user = String(first + i);
  // no ';', ']', '"' or spaces: they would break the CSV field or the SIPp keyword
  const password = `pw-${user}-${md5(`bench:${user}`).slice(0, 8)}`;
  csv.push(`${user};${password};[authentication username=${user} password=${password}]`);
  const ha1 = md5(`${user}:${realm}:${password}`);
  const ha1b = md5(`${user}@${domain}:${realm}:${password}`);
  sql.push(
    `INSERT INTO subscriber (username, domain, password, ha1, ha1b) VALUES ('${user}','${domain}','${password}','${ha1}','${ha1b}');`,
  );
  json.push({ username: user, password, domain, ha1 });
}
sql.push('COMMIT;');
writeFileSync(join(values.out, 'users.csv'), csv.join('\n') + '\n');
writeFileSync(join(values.out, 'subscriber.sql'), sql.join('\n') + '\n');
writeFileSync(join(values.out, 'users.json'), JSON.stringify(json) + '\n');
console.error(`wrote ${count} users (${first}..${first + count - 1}, domain ${domain}, realm ${realm}) to ${values.out}`);
