// What makes a device the same device: identifiers it carries whatever address it has. They merge
// addresses into one host within a run and recognise a device again in a later run. Pure.
import type { FieldBag } from './fields.js';
import { isLocallyAdministered, normaliseMac } from './mac.js';

export interface DeviceKeys {
  /** Identifiers unique to one device: a vendor MAC, a UPnP UDN, a serial number, a TXT device id. */
  strong: string[];
  /**
   * Names a user gave the device (its mDNS host name). Two devices rarely share one at the same
   * time, but they are not unique enough to merge two live addresses: they only recognise a
   * device across runs when nothing stronger is there (a phone with a randomised MAC).
   */
  weak: string[];
}

/** TXT keys that carry a per-device id in the DNS-SD profiles of common devices. */
const TXT_ID_KEYS = new Set(['deviceid', 'id', 'bridgeid', 'serialnumber', 'sn', 'mac', 'uuid', 'udn']);
/** Short or generic values (`id=1`) would join unrelated devices. */
const MIN_ID_LENGTH = 8;
const UUID_IN_USN = /^uuid:([0-9a-z-]{8,})/i;

/** `mac:…` for a vendor MAC, `randomised` for a locally administered one (not an id), undefined for anything else. */
function macKey(value: string): string | undefined {
  const mac = normaliseMac(value);
  if (mac === undefined || !/^[0-9a-f:.-]+$/i.test(value.trim())) return undefined;
  return isLocallyAdministered(mac) ? 'randomised' : `mac:${mac}`;
}

function addIdentifier(keys: Set<string>, value: string, fallback: string): void {
  const mac = macKey(value);
  if (mac !== 'randomised') keys.add(mac ?? fallback);
}

export function deviceKeys(fields: FieldBag, mac: string | undefined): DeviceKeys {
  const strong = new Set<string>();
  const weak = new Set<string>();
  if (mac !== undefined && !isLocallyAdministered(mac)) strong.add(`mac:${mac}`);
  for (const udn of fields.get('upnp.udn') ?? []) if (udn.length >= MIN_ID_LENGTH) strong.add(`udn:${udn.toLowerCase()}`);
  for (const usn of fields.get('ssdp.usn') ?? []) {
    const uuid = UUID_IN_USN.exec(usn)?.[1];
    if (uuid !== undefined) strong.add(`udn:uuid:${uuid.toLowerCase()}`);
  }
  const manufacturer = (fields.get('upnp.manufacturer') ?? [])[0]?.toLowerCase() ?? '';
  for (const serial of fields.get('upnp.serialNumber') ?? []) {
    if (serial.length >= 4) addIdentifier(strong, serial, `serial:${manufacturer}:${serial.toLowerCase()}`);
  }
  for (const [field, values] of fields) {
    if (!field.startsWith('mdns.txt.') || !TXT_ID_KEYS.has(field.slice('mdns.txt.'.length).toLowerCase())) continue;
    for (const value of values) {
      if (value.length < MIN_ID_LENGTH) continue;
      addIdentifier(strong, value, `txt-id:${value.toLowerCase()}`);
    }
  }
  for (const hostname of fields.get('mdns.hostname') ?? []) {
    const name = hostname.replace(/\.local\.?$/i, '').toLowerCase();
    if (name.length > 0) weak.add(`${WEAK_PREFIX}${name}`);
  }
  return { strong: [...strong].sort(), weak: [...weak].sort() };
}

const WEAK_PREFIX = 'mdns-host:';

/** All keys of a device in one list, as hosts carry them; weak ones keep their prefix. */
export function keyList(keys: DeviceKeys): string[] {
  return [...keys.strong, ...keys.weak];
}

export function isWeakKey(key: string): boolean {
  return key.startsWith(WEAK_PREFIX);
}
