// HTTP Digest access authentication, client side (RFC 7616), shared by HTTP and RTSP: read the
// server's challenges, pick the strongest one this client supports, answer it with qop=auth
// (or the RFC 2069 form when the server names no qop). auth-int is not supported.
import { createHash, randomBytes } from 'node:crypto';
import type { Credential } from '../../src/engine/probe.js';

const MAX_HEADER_CHARS = 8 * 1024;
const MAX_PARAMS = 32;

export interface AuthChallenge {
  /** Lower-case scheme name (basic, digest, ...). */
  scheme: string;
  /** Lower-case parameter names, unquoted values. */
  params: Record<string, string>;
}

/**
 * Every challenge in a WWW-Authenticate value (RFC 9110 §11.6.1): `scheme param=value, ...`,
 * several challenges separated by commas. A token68 challenge (`Negotiate abc==`) yields no params.
 */
export function parseChallenges(header: string): AuthChallenge[] {
  const text = header.slice(0, MAX_HEADER_CHARS);
  const challenges: AuthChallenge[] = [];
  let current: AuthChallenge | undefined;
  let index = 0;
  const token = (): string => {
    const match = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/.exec(text.slice(index));
    const value = match?.[0] ?? '';
    index += value.length;
    return value;
  };
  const skip = (pattern: RegExp): void => {
    while (index < text.length && pattern.test(text[index] ?? '')) index += 1;
  };
  while (index < text.length) {
    skip(/[\s,]/);
    const name = token();
    if (name === '') {
      // Not a token (stray character or token68 padding): skip to the next comma.
      const comma = text.indexOf(',', index);
      index = comma < 0 ? text.length : comma + 1;
      continue;
    }
    skip(/[ \t]/);
    if (text[index] !== '=') {
      current = { scheme: name.toLowerCase(), params: {} };
      challenges.push(current);
      continue;
    }
    index += 1;
    skip(/[ \t]/);
    let value: string;
    if (text[index] === '"') {
      value = '';
      index += 1;
      while (index < text.length && text[index] !== '"') {
        if (text[index] === '\\') index += 1;
        value += text[index] ?? '';
        index += 1;
      }
      index += 1;
    } else {
      value = token();
      if (value === '') {
        // `name=` with no value is token68 padding (`Negotiate abc==`), not a parameter.
        const comma = text.indexOf(',', index);
        index = comma < 0 ? text.length : comma + 1;
        continue;
      }
    }
    if (current !== undefined && Object.keys(current.params).length < MAX_PARAMS) current.params[name.toLowerCase()] = value;
  }
  return challenges;
}

type Algorithm = 'SHA-512-256' | 'SHA-256' | 'MD5';

/** Node hash names, strongest first (the order a client prefers them in, RFC 7616 §3.7). */
const HASHES: Readonly<Record<Algorithm, string>> = { 'SHA-512-256': 'sha512-256', 'SHA-256': 'sha256', MD5: 'md5' };
const PREFERENCE: readonly Algorithm[] = ['SHA-512-256', 'SHA-256', 'MD5'];

export interface DigestChallenge {
  realm: string;
  nonce: string;
  opaque?: string;
  algorithm: Algorithm;
  session: boolean;
  /** The algorithm parameter as the server wrote it; echoed only when it was given. */
  algorithmParam?: string;
  qop: 'auth' | undefined;
  userhash: boolean;
}

/** Values echoed into our next request must not be able to break a header line. */
function headerSafe(value: string): boolean {
  for (let index = 0; index < value.length; index += 1) {
    const code = value.charCodeAt(index);
    if (code < 0x20 || code === 0x7f) return false;
  }
  return true;
}

function digestChallenge(challenge: AuthChallenge): DigestChallenge | undefined {
  const { realm, nonce, opaque, algorithm: algorithmParam, qop, userhash } = challenge.params;
  if (realm === undefined || nonce === undefined || nonce === '') return undefined;
  if (![realm, nonce, opaque ?? '', algorithmParam ?? ''].every(headerSafe)) return undefined;
  const named = (algorithmParam ?? 'MD5').toUpperCase();
  const session = named.endsWith('-SESS');
  const algorithm = PREFERENCE.find((candidate) => candidate === (session ? named.slice(0, -5) : named));
  if (algorithm === undefined) return undefined;
  const qops = qop === undefined ? undefined : qop.split(',').map((value) => value.trim().toLowerCase());
  // With a qop list, only `auth` is answered; without one, the RFC 2069 form (no -sess there).
  if (qops !== undefined && !qops.includes('auth')) return undefined;
  if (qops === undefined && session) return undefined;
  const parsed: DigestChallenge = { realm, nonce, algorithm, session, qop: qops === undefined ? undefined : 'auth', userhash: userhash?.toLowerCase() === 'true' };
  if (opaque !== undefined) parsed.opaque = opaque;
  if (algorithmParam !== undefined) parsed.algorithmParam = algorithmParam;
  return parsed;
}

/** The strongest Digest challenge in a WWW-Authenticate value that this client can answer. */
export function pickDigestChallenge(header: string | undefined): DigestChallenge | undefined {
  if (header === undefined) return undefined;
  const usable = parseChallenges(header)
    .filter((challenge) => challenge.scheme === 'digest')
    .map(digestChallenge)
    .filter((challenge): challenge is DigestChallenge => challenge !== undefined);
  return usable.sort((a, b) => PREFERENCE.indexOf(a.algorithm) - PREFERENCE.indexOf(b.algorithm))[0];
}

/** Whether any challenge offers the scheme (`basic`, `digest`), answerable or not. */
export function offersScheme(header: string | undefined, scheme: string): boolean {
  return header !== undefined && parseChallenges(header).some((challenge) => challenge.scheme === scheme);
}

function quoted(value: string): string {
  return `"${value.replace(/[\\"]/g, '\\$&')}"`;
}

export interface DigestRequest {
  method: string;
  /** The request-target exactly as sent on the request line (RTSP: the absolute URL). */
  uri: string;
  /** Fixed only by tests (RFC examples); random otherwise. */
  cnonce?: string;
}

/**
 * The Authorization value answering `challenge` (RFC 7616 §3.4), or undefined when the pair
 * cannot be sent in a header (a control character in it).
 */
export function digestAuthorization(challenge: DigestChallenge, credential: Credential, request: DigestRequest): string | undefined {
  if (![credential.username, credential.password, request.uri].every(headerSafe)) return undefined;
  // Header values arrive as ISO-8859-1 (one character per byte), so the server's realm and nonce
  // go back into the hash as the bytes they were; our own strings are UTF-8.
  const server = (value: string): Buffer => Buffer.from(value, 'latin1');
  const ours = (value: string): Buffer => Buffer.from(value, 'utf8');
  const hash = (...parts: Buffer[]): string => {
    const digest = createHash(HASHES[challenge.algorithm]);
    parts.forEach((part, index) => digest.update(index === 0 ? part : Buffer.concat([ours(':'), part])));
    return digest.digest('hex');
  };
  const cnonce = request.cnonce ?? randomBytes(16).toString('hex');
  const nc = '00000001';
  const nonce = server(challenge.nonce);
  let ha1 = hash(ours(credential.username), server(challenge.realm), ours(credential.password));
  if (challenge.session) ha1 = hash(ours(ha1), nonce, ours(cnonce));
  const ha2 = hash(ours(request.method), ours(request.uri));
  const response =
    challenge.qop === 'auth' ? hash(ours(ha1), nonce, ours(nc), ours(cnonce), ours('auth'), ours(ha2)) : hash(ours(ha1), nonce, ours(ha2));
  const username = challenge.userhash ? hash(ours(credential.username), server(challenge.realm)) : credential.username;
  // Non-ASCII user names travel in the RFC 8187 form (RFC 7616 §3.4.4), never raw in a header.
  const userParam = /^[\x20-\x7e]*$/.test(username) ? `username=${quoted(username)}` : `username*=UTF-8''${extendedValue(username)}`;
  const parts = [userParam, `realm=${quoted(challenge.realm)}`, `nonce=${quoted(challenge.nonce)}`, `uri=${quoted(request.uri)}`];
  if (challenge.algorithmParam !== undefined) parts.push(`algorithm=${challenge.algorithmParam}`);
  parts.push(`response=${quoted(response)}`);
  if (challenge.qop === 'auth') parts.push('qop=auth', `nc=${nc}`, `cnonce=${quoted(cnonce)}`);
  if (challenge.opaque !== undefined) parts.push(`opaque=${quoted(challenge.opaque)}`);
  if (challenge.userhash) parts.push('userhash=true');
  return `Digest ${parts.join(', ')}`;
}

function extendedValue(text: string): string {
  return encodeURIComponent(text).replace(/['()*]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `SHA-256`, `MD5-sess`: how the evidence names the challenge answered. */
export function digestName(challenge: DigestChallenge): string {
  return `${challenge.algorithm}${challenge.session ? '-sess' : ''}`;
}
