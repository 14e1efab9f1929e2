// Every string that comes off the network passes through here before it becomes an observation:
// terminal escapes and control characters from a hostile device must never reach a terminal,
// a report or a log. Pure: no node:* imports.

/** ESC-introduced sequences: CSI (`ESC [ ... final`), OSC/DCS/PM/APC strings, and two-byte escapes. */
const ANSI_SEQUENCE =
  /\u001b(?:\[[0-?]*[ -/]*[@-~]|[\]PX^_][\s\S]*?(?:\u0007|\u001b\\|$)|[ -/]*[0-~])|\u009b[0-?]*[ -/]*[@-~]/g;
/** C0 and C1 controls plus DEL; line breaks and tabs are turned into spaces before this runs. */
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g;
/** Bidirectional overrides and isolates can make a terminal show text in a misleading order. */
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/g;

/**
 * Printable text: ANSI escapes and control characters removed, tabs, line breaks and runs of
 * spaces turned into single spaces, trimmed, and capped at `maxLength` characters (an ellipsis marks the cut).
 */
export function printable(text: string, maxLength = 512): string {
  const cleaned = text
    .replace(ANSI_SEQUENCE, '')
    .replace(/[\t\r\n\v\f]+/g, ' ')
    .replace(CONTROL_CHARACTERS, '')
    .replace(BIDI_CONTROLS, '')
    .replace(/ {2,}/g, ' ')
    .trim();
  if (cleaned.length <= maxLength) return cleaned;
  return `${cutAt(cleaned, maxLength - 1).trimEnd()}…`;
}

/** The first `length` UTF-16 units, one fewer if that would split a surrogate pair. */
function cutAt(text: string, length: number): string {
  const end = Math.max(0, length);
  const last = text.charCodeAt(end - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? end - 1 : end);
}

/** The first `max` bytes read as ISO-8859-1 (every byte is a character), then made printable. */
export function decodeLatin1Safe(bytes: Uint8Array, max: number): string {
  let text = '';
  const end = Math.min(bytes.length, max);
  for (let index = 0; index < end; index += 1) text += String.fromCharCode(bytes[index] ?? 0);
  return printable(text, max);
}

/** UTF-8 when the bytes are valid UTF-8, ISO-8859-1 otherwise; then made printable. */
export function decodeTextSafe(bytes: Uint8Array, max: number): string {
  const head = bytes.subarray(0, max);
  try {
    return printable(new TextDecoder('utf-8', { fatal: true }).decode(head), max);
  } catch {
    return decodeLatin1Safe(head, max);
  }
}

/**
 * Bytes shown as text without losing information: valid UTF-8 stays as it is, every control
 * character or invalid byte becomes `\xNN` (and a backslash becomes `\\`), capped at `max` characters.
 */
export function escapeBytes(bytes: Uint8Array, max = 512): string {
  let text: string;
  try {
    const decoded = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    text = [...decoded]
      .map((character) => {
        const code = character.codePointAt(0) ?? 0;
        if (character === '\\') return '\\\\';
        if (code < 0x20 || (code >= 0x7f && code <= 0x9f) || (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069)) {
          return code <= 0xff ? hexEscape(code) : `\\u{${code.toString(16)}}`;
        }
        return character;
      })
      .join('');
  } catch {
    text = '';
    for (const byte of bytes) {
      if (byte === 0x5c) text += '\\\\';
      else text += byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : hexEscape(byte);
    }
  }
  if (text.length <= max) return text;
  return `${cutAt(text, max - 1)}…`;
}

function hexEscape(code: number): string {
  return `\\x${code.toString(16).padStart(2, '0')}`;
}

/**
 * XML's predefined and numeric character references, decoded once in a value the parser left
 * raw (entity processing is off everywhere, so a document cannot define its own).
 */
const XML_PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function decodeXmlEntities(value: string): string {
  return value.replace(/&(#x[0-9a-fA-F]{1,6}|#\d{1,7}|amp|lt|gt|quot|apos);/g, (whole, entity: string) => {
    if (entity.startsWith('#')) {
      const code = entity[1] === 'x' ? Number.parseInt(entity.slice(2), 16) : Number.parseInt(entity.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return XML_PREDEFINED[entity] ?? whole;
  });
}
