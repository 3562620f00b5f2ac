// The service layer the CLI, the admin API and the server share, built over one open database.
// `openServices` is what every entry point calls: open ./data (or the configured data_dir),
// apply pending migrations, ensure the default tenant.
import type { Config } from './config/schema.ts';
import { openDatabase, type PbxDb } from './db/open.ts';
import { migrate } from './db/migrate.ts';
import { AuditLog } from './audit/audit-log.ts';
import { TenantService } from './tenancy/tenant-service.ts';
import { ExtensionService } from './directory/extension-service.ts';
import { DirectoryAccountSource } from './directory/account-source.ts';
import { SqliteBindingStore } from './directory/registration-store.ts';
import { SqliteBlockStore, BlockAdmin } from './security/block-store.ts';
import { TokenService } from './auth/token-service.ts';
import { CdrService } from './cdr/cdr-service.ts';
import { applyConfig, type ApplyReport } from './config/apply.ts';
import { TrunkService } from './trunks/trunk-service.ts';
import { NumberService } from './numbers/number-service.ts';
import { TerminalService } from './directory/terminal-service.ts';
import { CallRuleService } from './directory/call-rule-service.ts';
import { DepartmentService } from './directory/department-service.ts';
import { EmployeeService } from './directory/employee-service.ts';
import { ContactService } from './directory/contact-service.ts';
import { Outbox } from './notify/outbox.ts';
import { VoicemailStore, voicemailDir } from './voicemail/voicemail-store.ts';
import { VoicemailPins } from './voicemail/voicemail-pin.ts';

export interface Services {
  db: PbxDb;
  audit: AuditLog;
  tenants: TenantService;
  extensions: ExtensionService;
  tokens: TokenService;
  accounts: DirectoryAccountSource;
  bindings: SqliteBindingStore;
  blockStore: SqliteBlockStore;
  blocks: BlockAdmin;
  cdrs: CdrService;
  trunks: TrunkService;
  numbers: NumberService;
  terminals: TerminalService;
  callRules: CallRuleService;
  /** The organisation (R-DIR-1): the department tree, employees (each active one with an extension), external contacts. */
  departments: DepartmentService;
  employees: EmployeeService;
  contacts: ContactService;
  /** The SMS/webhook outbox (enqueue, list, retry); the server's worker delivers it (notify/index.ts startOutbox). */
  outbox: Outbox;
  /** Voicemail messages of every box (files under voicemail.dir); box counts for MWI. */
  voicemail: VoicemailStore;
  voicemailPins: VoicemailPins;
  close(): void;
}

export interface ServiceOptions {
  now?: () => number;
}

/** Builds the services over an already open and migrated database. */
export function createServices(db: PbxDb, config: Config, opts: ServiceOptions = {}): Services {
  const now = opts.now ?? Date.now;
  const audit = new AuditLog(db, now);
  const blockStore = new SqliteBlockStore(db, now);
  const terminals = new TerminalService(db, audit, now);
  const extensions = new ExtensionService(db, audit, now);
  const departments = new DepartmentService(db, audit, now);
  const services: Services = {
    db,
    audit,
    tenants: new TenantService(db, audit, now, config.notify.sms.max_segments),
    extensions,
    tokens: new TokenService(db, audit, now),
    accounts: new DirectoryAccountSource(db, config.sip.auth.realm, now),
    bindings: new SqliteBindingStore(db, now),
    blockStore,
    blocks: new BlockAdmin(blockStore, audit),
    cdrs: new CdrService(db),
    trunks: new TrunkService(db, audit, now),
    numbers: new NumberService(db, audit, terminals, now),
    terminals,
    callRules: new CallRuleService(db, audit, now),
    departments,
    employees: new EmployeeService(db, audit, departments, extensions, { now }),
    contacts: new ContactService(db, audit, now),
    outbox: new Outbox(db, { now, audit }),
    voicemail: new VoicemailStore(db, { dir: voicemailDir(config), audit, now }),
    voicemailPins: new VoicemailPins(db, audit),
    close: () => {
      services.bindings.flush();
      db.close();
    },
  };
  services.tenants.ensureDefault();
  return services;
}

/** Opens the data directory's database, migrates it, and builds the services. */
export function openServices(config: Config, opts: ServiceOptions = {}): Services {
  const db = openDatabase(config.data_dir);
  try {
    migrate(db);
    return createServices(db, config, opts);
  } catch (e) {
    db.close();
    throw e;
  }
}

/** Start-up: open, migrate, then apply the tenants/extensions the config declares. */
export function bootServices(config: Config, opts: ServiceOptions = {}): { services: Services; applied: ApplyReport } {
  const services = openServices(config, opts);
  try {
    const applied = applyConfig(services.db, config, services.audit, opts.now);
    return { services, applied };
  } catch (e) {
    services.close();
    throw e;
  }
}
