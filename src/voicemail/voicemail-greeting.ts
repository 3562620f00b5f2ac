// A voicemail box's own greeting (R-BASIC-5: "greeting (default prompt or uploaded WAV)"): the
// owner's recording replaces "please leave a message after the tone". Uploads are checked and
// stored like numbers' greetings (numbers/greeting-file.ts); null goes back to the default.
import type { PbxDb } from '../db/open.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { ConfigManagedError, NotFoundError } from '../errors.ts';
import { storeGreeting } from '../numbers/greeting-file.ts';

export class VoicemailGreetings {
  constructor(
    private readonly db: PbxDb,
    private readonly audit: AuditLog,
    /** <data_dir>/greetings */
    private readonly dir: string,
  ) {}

  /** Sets (a WAV upload) or clears (null) extension `number`'s greeting; returns the stored path or null. */
  set(tenantId: number, number: string, wav: Buffer | null, actor = 'system'): string | null {
    const row = this.db.sqlite.prepare('SELECT id, config_managed FROM extension WHERE tenant_id = ? AND number = ?').get(tenantId, String(number)) as
      | { id: number; config_managed: number }
      | undefined;
    if (!row) throw new NotFoundError(`extension ${number} does not exist`);
    if (row.config_managed === 1) throw new ConfigManagedError(`extension ${number}`);
    const path = wav === null ? null : storeGreeting(this.dir, tenantId, `voicemail-${number}`, wav);
    this.db.sqlite.prepare('UPDATE extension SET voicemail_greeting = ? WHERE id = ?').run(path, row.id);
    this.audit.record({ actor, action: 'extension.set_voicemail_greeting', target: String(number), tenantId, detail: { cleared: path === null } });
    return path;
  }
}
