// The PIN an extension's owner enters to listen to voicemail by phone (*97). Kept in the
// extension row (voicemail_pin); null means none is set and listening by phone is refused.
// Extensions declared in the config file take theirs from the config (voicemail_pin) and are
// refused here like every other edit of a config-managed row.
import { timingSafeEqual } from 'node:crypto';
import type { PbxDb } from '../db/open.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { ConfigManagedError, InvalidError, NotFoundError } from '../errors.ts';

export const VOICEMAIL_PIN = /^[0-9]{4,12}$/;

export function checkVoicemailPin(pin: unknown): string {
  const s = typeof pin === 'number' ? String(pin) : pin;
  if (typeof s !== 'string' || !VOICEMAIL_PIN.test(s)) throw new InvalidError('voicemail PIN must be 4 to 12 digits');
  return s;
}

export class VoicemailPins {
  constructor(
    private readonly db: PbxDb,
    private readonly audit: AuditLog,
  ) {}

  /** Sets (or, with null, clears) the PIN of an extension. */
  set(tenantId: number, number: string, pin: string | null, actor = 'system'): void {
    const row = this.db.sqlite.prepare('SELECT id, config_managed FROM extension WHERE tenant_id = ? AND number = ?').get(tenantId, String(number)) as
      | { id: number; config_managed: number }
      | undefined;
    if (!row) throw new NotFoundError(`extension ${number} does not exist`);
    if (row.config_managed === 1) throw new ConfigManagedError(`extension ${number}`);
    const value = pin === null ? null : checkVoicemailPin(pin);
    this.db.sqlite.prepare('UPDATE extension SET voicemail_pin = ? WHERE id = ?').run(value, row.id);
    this.audit.record({ actor, action: 'extension.set_voicemail_pin', target: String(number), tenantId, detail: { cleared: value === null } });
  }

  /** Whether the extension has a PIN. */
  has(extensionId: number): boolean {
    return this.pinOf(extensionId) !== null;
  }

  /** Whether `digits` is the extension's PIN (false when it has none). Constant time in the digits. */
  matches(extensionId: number, digits: string): boolean {
    const pin = this.pinOf(extensionId);
    if (pin === null) return false;
    const a = Buffer.from(pin);
    const b = Buffer.from(digits);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  private pinOf(extensionId: number): string | null {
    return (this.db.sqlite.prepare('SELECT voicemail_pin FROM extension WHERE id = ?').pluck().get(extensionId) as string | null | undefined) ?? null;
  }
}
