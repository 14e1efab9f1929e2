// MAC vendor names from the IEEE OUI register (the oui-data package, refreshed upstream from the
// IEEE's public listing). Loaded on first use: it is 5 MB of JSON that a scan without MACs never needs.
import { createRequire } from 'node:module';
import { ouiOf } from '../core/mac.js';
import { printable } from '../core/sanitize.js';

let register: Record<string, string> | undefined;

export function lookupMacVendor(mac: string): string | undefined {
  register ??= createRequire(import.meta.url)('oui-data') as Record<string, string>;
  const entry = register[ouiOf(mac)];
  // Entries hold the organisation's name on the first line, then its postal address.
  return entry === undefined ? undefined : printable(entry.split('\n')[0] ?? '', 120);
}
