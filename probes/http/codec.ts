// What an HTTP answer says about the server: headers, page title, authentication challenge and
// whether the page is a login form. Pure.
import { printable } from '../../src/core/sanitize.js';

export interface HttpAnswer {
  status: number;
  /** Lower-case names, repeated headers joined with ", ". */
  headers: Readonly<Record<string, string>>;
  body: Uint8Array;
}

export type AuthScheme = 'basic' | 'digest' | 'other';

export interface Challenge {
  scheme: AuthScheme;
  realm?: string;
}

/** The fields the http probe emits for one answer (only those with a value). */
export function httpFields(answer: HttpAnswer): Record<string, string> {
  const fields: Record<string, string> = { 'http.status': String(answer.status) };
  const header = (name: string): string | undefined => {
    const value = answer.headers[name];
    return value === undefined ? undefined : printable(value, 512);
  };
  const server = header('server');
  if (server) fields['http.server'] = server;
  const poweredBy = header('x-powered-by');
  if (poweredBy) fields['http.powered-by'] = poweredBy;
  const location = header('location');
  if (location && answer.status >= 300 && answer.status < 400) fields['http.location'] = location;
  const authenticate = answer.headers['www-authenticate'];
  if (authenticate !== undefined && authenticate.trim() !== '') {
    fields['http.www-authenticate'] = printable(authenticate, 512);
    const challenge = parseChallenge(authenticate);
    fields['http.auth-scheme'] = challenge.scheme;
    if (challenge.realm !== undefined) fields['http.realm'] = challenge.realm;
  }
  const html = decodeBody(answer.body);
  const title = pageTitle(html);
  if (title) fields['http.title'] = title;
  if (hasPasswordInput(html)) fields['http.login-form'] = 'yes';
  return fields;
}

/**
 * The first challenge of a WWW-Authenticate header (RFC 9110 §11.6.1), preferring Basic when a
 * server offers several, because that is the one a credential driver can try.
 */
export function parseChallenge(header: string): Challenge {
  const schemes: string[] = [];
  for (const part of header.split(',')) {
    const trimmed = part.trim();
    // An auth-param is `name=value`; a scheme is a token followed by a space or nothing.
    if (/^[A-Za-z0-9!#$%&'*+.^_`|~-]+\s*=/.test(trimmed)) continue;
    const match = /^([A-Za-z0-9!#$%&'*+.^_`|~-]+)(?:\s|$)/.exec(trimmed);
    if (match?.[1] !== undefined) schemes.push(match[1].toLowerCase());
  }
  const scheme: AuthScheme = schemes.includes('basic') ? 'basic' : schemes[0] === 'digest' ? 'digest' : 'other';
  const realmMatch = /realm\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/i.exec(header);
  const realmText = realmMatch?.[1] ?? realmMatch?.[2];
  const challenge: Challenge = { scheme };
  if (realmText !== undefined) challenge.realm = printable(realmText.replace(/\\(.)/g, '$1'), 256);
  return challenge;
}

/** Whether any challenge in the header is Basic. */
export function offersBasic(header: string | undefined): boolean {
  return header !== undefined && /(?:^|,)\s*basic(?:\s|,|$)/i.test(header);
}

function decodeBody(body: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    let text = '';
    for (const byte of body) text += String.fromCharCode(byte);
    return text;
  }
}

export function pageTitle(html: string): string | undefined {
  const match = /<title[^>]*>([\s\S]{0,2048}?)<\/title\s*>/i.exec(html);
  if (match === null) return undefined;
  const title = printable(decodeEntities(match[1] ?? ''), 256);
  return title === '' ? undefined : title;
}

export function hasPasswordInput(html: string): boolean {
  return /<input\b[^>]*\btype\s*=\s*["']?password\b/i.test(html);
}

const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|[a-z]{2,6});/gi, (whole, entity: string) => {
    if (entity.startsWith('#')) {
      const code = entity[1] === 'x' || entity[1] === 'X' ? Number.parseInt(entity.slice(2), 16) : Number.parseInt(entity.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[entity.toLowerCase()] ?? whole;
  });
}
