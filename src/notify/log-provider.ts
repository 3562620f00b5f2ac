// The embedded default SMS provider: the message goes to the log (info), nothing leaves the host.
// Useful until an SMS gateway is configured (notify.sms.provider: http), and in tests.
import type { Logger } from '../log.ts';
import type { OutboxItem } from './outbox.ts';
import type { OutboxProvider } from './outbox-provider.ts';

export class LogProvider implements OutboxProvider {
  constructor(private readonly log: Logger) {}

  async send(row: OutboxItem): Promise<void> {
    this.log.info(
      { outboxId: row.id, channel: row.channel, purpose: row.purpose, to: row.recipient, ...(row.format ? { format: row.format } : {}), tenantId: row.tenantId, body: row.body },
      `${row.channel === 'sms' ? 'SMS' : 'webhook'} to ${row.recipient} (log provider, not sent)`,
    );
  }
}
