// FTP control-connection replies (RFC 959 §4.2): single-line `220 text` and multi-line
// `220-first ... 220 last`. Pure.
import { printable } from '../../src/core/sanitize.js';

export interface FtpReply {
  code: number;
  /** The text of every line, without the code. */
  lines: string[];
}

export type ReplyResult = { kind: 'reply'; reply: FtpReply; rest: string } | { kind: 'incomplete' } | { kind: 'invalid' };

const MAX_REPLY_LINES = 64;

/** Parses the first complete reply in `text`. */
export function parseReply(text: string): ReplyResult {
  const lines = text.split('\n');
  // The last element is an unterminated line (or '' after a final newline).
  const complete = lines.slice(0, -1).map((line) => line.replace(/\r$/, ''));
  const first = complete[0];
  if (first === undefined) {
    const partial = lines[0] ?? '';
    return partial.length >= 3 && !/^\d{0,3}$/.test(partial.slice(0, 3)) ? { kind: 'invalid' } : { kind: 'incomplete' };
  }
  const head = /^([1-5]\d\d)([ -])(.*)$/.exec(first) ?? /^([1-5]\d\d)()$/.exec(first);
  if (head === null) return { kind: 'invalid' };
  const [, codeText = '', separator, firstText = ''] = head;
  const code = Number(codeText);
  if (separator !== '-') {
    return { kind: 'reply', reply: { code, lines: [firstText] }, rest: lines.slice(1).join('\n') };
  }
  const texts = [firstText];
  for (let index = 1; index < complete.length; index += 1) {
    const line = complete[index] ?? '';
    if (line.startsWith(`${codeText} `) || line === codeText) {
      texts.push(line.slice(4));
      return { kind: 'reply', reply: { code, lines: texts }, rest: lines.slice(index + 1).join('\n') };
    }
    // Inside a multi-line reply other lines are free text (RFC 959 allows any text there).
    texts.push(line.startsWith(`${codeText}-`) ? line.slice(4) : line);
    if (texts.length > MAX_REPLY_LINES) return { kind: 'invalid' };
  }
  return { kind: 'incomplete' };
}

/** The reply text as one printable line. */
export function replyText(reply: FtpReply): string {
  return printable(reply.lines.map((line) => line.trim()).filter((line) => line !== '').join(' '), 512);
}

/** `227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)`: only the port is used (see ftp-anon). */
export function parsePassivePort(reply: FtpReply): number | undefined {
  if (reply.code !== 227) return undefined;
  const match = /(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3})/.exec(reply.lines.join(' '));
  if (match === null) return undefined;
  const high = Number(match[5]);
  const low = Number(match[6]);
  if (high > 255 || low > 255) return undefined;
  const port = high * 256 + low;
  return port > 0 ? port : undefined;
}

/** Entries in a LIST answer: its non-empty lines, minus a `total N` header. */
export function countListEntries(listing: string): number {
  return listing.split(/\r?\n/).filter((line) => line.trim() !== '' && !/^total \d+$/i.test(line.trim())).length;
}
