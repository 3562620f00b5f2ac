// The embedded default configuration: what `npm start` runs with when no file is given.
// SQLite in ./data, SIP on UDP and TCP 0.0.0.0:5060 (IPv4 only: the SIP layer's IPv6 support
// is not yet end to end), TLS off, admin API on 127.0.0.1:8080, one default tenant taking any domain.
import { configSchema, type Config } from './schema.ts';

export function defaultConfig(): Config {
  return configSchema.parse({});
}
