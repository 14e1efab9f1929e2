// MAC address facts. Pure.

/** Lower-case, colon-separated; undefined for anything that is not a 48-bit MAC. */
export function normaliseMac(text: string): string | undefined {
  const hex = text.replace(/[^0-9a-f]/gi, '').toLowerCase();
  if (hex.length !== 12 || !/^[0-9a-f]{12}$/.test(hex) || hex === '000000000000') return undefined;
  return hex.match(/../g)?.join(':');
}

/**
 * A locally administered address (second-lowest bit of the first octet) is what phones and
 * laptops use for MAC randomisation: it names no vendor and may change.
 */
export function isLocallyAdministered(mac: string): boolean {
  const firstOctet = Number.parseInt(mac.slice(0, 2), 16);
  return (firstOctet & 0b10) !== 0;
}

/** The 24-bit OUI as the IEEE register writes it (`00408C`). */
export function ouiOf(mac: string): string {
  return mac.replace(/:/g, '').slice(0, 6).toUpperCase();
}
