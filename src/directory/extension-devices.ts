// Everything an extension rings, in one view: its registered SIP devices and its PSTN terminals,
// against its terminal limit (at most 3 in total, R-DIR-1). Registered devices live in the
// running server's location service; a caller that has it passes it in (`live`), anyone else
// reads the registrations the location service writes through to the database (the server's
// own API does the same: its store is that write-through, flushed before the read).
import type { PbxDb } from '../db/open.ts';
import type { Binding } from '../sip/registrar/ports.ts';
import type { Extension, ExtensionService } from './extension-service.ts';
import type { Terminal, TerminalService } from './terminal-service.ts';

export interface RegisteredDevice {
  contact: string;
  userAgent: string | null;
  /** Where the REGISTER came from (transport address:port). */
  source: string;
  natted: boolean;
  registeredAt: number;
  expiresAt: number;
}

export interface ExtensionDevices {
  extension: Extension;
  registered: RegisteredDevice[];
  pstn: Terminal[];
  /** Registered devices + PSTN terminals. */
  total: number;
  /** The extension's limit (max terminals, at most 3). */
  limit: number;
  /** Where `registered` came from: the location service in memory, or the stored registrations. */
  source: 'live' | 'stored';
}

/** The location service's answer for one extension (LocationService has it). */
export interface LiveLocation {
  contactsOf(extensionId: number): Binding[];
}

interface RegRow {
  contact: string;
  user_agent: string | null;
  source_transport: string;
  source_address: string;
  source_port: number;
  natted: number;
  registered_at: number;
  expires_at: number;
}

export function extensionDevices(
  deps: { db: PbxDb; extensions: ExtensionService; terminals: TerminalService; bindings?: { flush(): void } },
  tenantId: number,
  number: string,
  opts: { live?: LiveLocation; now?: number } = {},
): ExtensionDevices {
  const extension = deps.extensions.show(tenantId, number);
  const pstn = deps.terminals.listForExtension(tenantId, number);
  let registered: RegisteredDevice[];
  if (opts.live) {
    registered = opts.live.contactsOf(extension.id).map((b) => ({
      contact: b.contact,
      userAgent: b.userAgent ?? null,
      source: `${b.source.transport} ${b.source.address}:${b.source.port}`,
      natted: b.natted,
      registeredAt: b.registeredAt,
      expiresAt: b.expiresAt,
    }));
  } else {
    deps.bindings?.flush();
    registered = deps.db.sqlite
      .prepare<[number, number], RegRow>('SELECT * FROM registration WHERE extension_id = ? AND expires_at > ? ORDER BY registered_at, id')
      .all(extension.id, opts.now ?? Date.now())
      .map((r) => ({
        contact: r.contact,
        userAgent: r.user_agent,
        source: `${r.source_transport} ${r.source_address}:${r.source_port}`,
        natted: r.natted === 1,
        registeredAt: r.registered_at,
        expiresAt: r.expires_at,
      }));
  }
  return { extension, registered, pstn, total: registered.length + pstn.length, limit: Math.min(3, extension.maxTerminals), source: opts.live ? 'live' : 'stored' };
}
