// Configuration: the YAML schema and its `Config` type, the embedded default, loading with
// line-accurate errors, and applying declared tenants/extensions to the database.
export { configSchema, type Config, type ConfigInput, type TenantDecl, type ExtensionDecl } from './schema.ts';
export { defaultConfig } from './defaults.ts';
export { ConfigError, loadConfigFile, parseConfig, resolveConfig, formatProblem, type ConfigProblem } from './load.ts';
export { applyConfig, type ApplyReport } from './apply.ts';
