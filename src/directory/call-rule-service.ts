// An extension's black/white lists (R-VAS-4 and the outbound permission chain): `outbound` rules
// are prefixes of the outside numbers it may (allow) or may not (deny) dial, in national form
// (a '+' prefix matches the E.164 form); `inbound` rules are the tenant's extension numbers or
// prefixes that may or may not call it. Any allow rule in a scope makes that scope a whitelist.
// Extensions declared in the config file are refused with ConfigManagedError.
import type { PbxDb } from '../db/open.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { ConfigManagedError, ConflictError, InvalidError, NotFoundError } from '../errors.ts';

export const RULE_SCOPES = ['outbound', 'inbound'] as const;
export const RULE_ACTIONS = ['allow', 'deny'] as const;
export type RuleScope = (typeof RULE_SCOPES)[number];
export type RuleAction = (typeof RULE_ACTIONS)[number];

export interface CallRule {
  id: number;
  scope: RuleScope;
  action: RuleAction;
  pattern: string;
  createdAt: number;
}

export interface CallRuleInput {
  scope: RuleScope;
  action: RuleAction;
  pattern: string;
}

/** Checks a rule; the pattern is digits (outbound: optionally after '+'). */
export function checkRule(input: { scope: unknown; action: unknown; pattern: unknown }): CallRuleInput {
  if (!(RULE_SCOPES as readonly unknown[]).includes(input.scope)) throw new InvalidError(`rule scope must be outbound or inbound, not ${JSON.stringify(input.scope)}`);
  if (!(RULE_ACTIONS as readonly unknown[]).includes(input.action)) throw new InvalidError(`rule action must be allow or deny, not ${JSON.stringify(input.action)}`);
  const scope = input.scope as RuleScope;
  const pattern = typeof input.pattern === 'number' ? String(input.pattern) : input.pattern;
  const re = scope === 'outbound' ? /^\+?[0-9]{1,20}$/ : /^[0-9]{1,8}$/;
  if (typeof pattern !== 'string' || !re.test(pattern))
    throw new InvalidError(
      scope === 'outbound'
        ? `outbound rule ${JSON.stringify(input.pattern)} must be digits: a prefix of the numbers dialled (national form, or + and the country code)`
        : `inbound rule ${JSON.stringify(input.pattern)} must be an extension number or its first digits`,
    );
  return { scope, action: input.action as RuleAction, pattern };
}

interface Row {
  id: number;
  scope: RuleScope;
  action: RuleAction;
  pattern: string;
  created_at: number;
}

const toRule = (r: Row): CallRule => ({ id: r.id, scope: r.scope, action: r.action, pattern: r.pattern, createdAt: r.created_at });

export class CallRuleService {
  constructor(
    private readonly db: PbxDb,
    private readonly audit: AuditLog,
    private readonly now: () => number = Date.now,
  ) {}

  /** The extension's rules: outbound first, allow before deny, then by pattern. */
  list(tenantId: number, extension: string): CallRule[] {
    const ext = this.extension(tenantId, extension);
    return this.db.sqlite
      .prepare<[number], Row>("SELECT * FROM extension_call_rule WHERE extension_id = ? ORDER BY scope = 'inbound', action = 'deny', pattern")
      .all(ext.id)
      .map(toRule);
  }

  add(tenantId: number, extension: string, input: CallRuleInput, actor = 'system'): CallRule {
    const ext = this.editable(tenantId, extension);
    const r = checkRule(input);
    if (this.find(ext.id, r)) throw new ConflictError(`extension ${ext.number} already has the ${r.scope} ${r.action} rule ${r.pattern}`);
    const id = Number(
      this.db.sqlite
        .prepare('INSERT INTO extension_call_rule (tenant_id, extension_id, scope, action, pattern, created_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(tenantId, ext.id, r.scope, r.action, r.pattern, this.now()).lastInsertRowid,
    );
    this.audit.record({ actor, action: 'call_rule.add', target: `extension ${ext.number}`, tenantId, detail: r });
    return toRule(this.db.sqlite.prepare<[number], Row>('SELECT * FROM extension_call_rule WHERE id = ?').get(id)!);
  }

  /** `which`: the rule's id, or the rule itself. */
  remove(tenantId: number, extension: string, which: number | CallRuleInput, actor = 'system'): CallRule {
    const ext = this.editable(tenantId, extension);
    const row =
      typeof which === 'number'
        ? this.db.sqlite.prepare<[number, number], Row>('SELECT * FROM extension_call_rule WHERE id = ? AND extension_id = ?').get(which, ext.id)
        : this.find(ext.id, checkRule(which));
    if (!row) throw new NotFoundError(`extension ${ext.number} has no rule ${typeof which === 'number' ? which : `${which.scope} ${which.action} ${which.pattern}`}`);
    this.db.sqlite.prepare('DELETE FROM extension_call_rule WHERE id = ?').run(row.id);
    const rule = toRule(row);
    this.audit.record({ actor, action: 'call_rule.remove', target: `extension ${ext.number}`, tenantId, detail: { scope: rule.scope, action: rule.action, pattern: rule.pattern } });
    return rule;
  }

  private find(extensionId: number, r: CallRuleInput): Row | undefined {
    return this.db.sqlite
      .prepare<[number, string, string, string], Row>('SELECT * FROM extension_call_rule WHERE extension_id = ? AND scope = ? AND action = ? AND pattern = ?')
      .get(extensionId, r.scope, r.action, r.pattern);
  }

  private extension(tenantId: number, number: string): { id: number; number: string; config_managed: number } {
    const r = this.db.sqlite
      .prepare<[number, string], { id: number; number: string; config_managed: number }>('SELECT id, number, config_managed FROM extension WHERE tenant_id = ? AND number = ?')
      .get(tenantId, String(number));
    if (!r) throw new NotFoundError(`extension ${number} does not exist`);
    return r;
  }

  private editable(tenantId: number, number: string): { id: number; number: string } {
    const r = this.extension(tenantId, number);
    if (r.config_managed === 1) throw new ConfigManagedError(`extension ${r.number}`);
    return r;
  }
}
