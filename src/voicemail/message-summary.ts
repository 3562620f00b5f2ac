// The body of a message-waiting NOTIFY (RFC 3842 §5): whether messages wait, the account they
// wait in, and the voice message counts "new/old" — our new and saved messages — with no
// urgent ones "(0/0)". One function for the subscribed and the unsolicited NOTIFY.
import type { BoxCounts } from './voicemail-store.ts';

export const MESSAGE_SUMMARY_EVENT = 'message-summary';
export const MESSAGE_SUMMARY_TYPE = 'application/simple-message-summary';

export function messageSummary(counts: BoxCounts, account: string): string {
  return [`Messages-Waiting: ${counts.new > 0 ? 'yes' : 'no'}`, `Message-Account: ${account}`, `Voice-Message: ${counts.new}/${counts.saved} (0/0)`, ''].join('\r\n');
}

/** The Message-Account URI of a box: sip:<extension>@<domain>. */
export function messageAccount(user: string, domain: string): string {
  return `sip:${user}@${domain}`;
}
