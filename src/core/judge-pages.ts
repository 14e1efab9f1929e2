// Findings from the pages a fingerprint names (probes/http/known-paths.ts): status pages that show
// private data without a login, and camera pictures or streams served over plain HTTP. Pure.
import type { Rule } from './judge-kit.js';
import { deviceWord, where, withField } from './judge-kit.js';
import { SECRET_LEAK_KINDS, type InfoLeakKind } from '../signatures/schema.js';

const LEAK_WORDS: Readonly<Record<InfoLeakKind, string>> = {
  'wifi-password': 'your Wi-Fi password',
  token: 'an access token',
  'wifi-ssid': 'your Wi-Fi network name',
  'nearby-networks': 'the Wi-Fi networks around your home',
  email: 'an account e-mail address',
  location: 'its location',
  serial: 'its serial number',
  mac: 'its hardware (MAC) address',
  debug: 'debug settings',
};

const MEDIA_WORDS = { snapshot: 'camera pictures', mjpeg: 'live video', audio: 'live audio' } as const;

function inWords(parts: readonly string[]): string {
  return parts.length <= 1 ? (parts[0] ?? '') : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

export const unauthInfoEndpoint: Rule = (host) =>
  withField(host, 'http.info-leaks').map((o) => {
    const leaks = (o.fields['http.info-leaks'] ?? '').split(',').filter((kind): kind is InfoLeakKind => kind in LEAK_WORDS);
    const secret = leaks.some((kind) => SECRET_LEAK_KINDS.includes(kind));
    return {
      check: 'unauth-info-endpoint',
      ...(secret && { severity: 'high' as const }),
      confidence: 'high',
      ...where(o),
      summary: `The ${deviceWord(host.identity)}'s page ${o.fields['http.info-path'] ?? ''} on port ${o.port ?? 80} shows ${inWords(leaks.map((kind) => LEAK_WORDS[kind]))} to anyone on your network, without a password.`,
      observations: [o.id],
      facts: { path: o.fields['http.info-path'] ?? '', leaks: leaks.join(', ') },
    };
  });

export const cleartextPersonalMedia: Rule = (host) =>
  withField(host, 'http.media-auth').map((o) => {
    const open = o.fields['http.media-auth'] === 'none';
    const kind = o.fields['http.media-kind'] as keyof typeof MEDIA_WORDS | undefined;
    const what = (kind !== undefined && MEDIA_WORDS[kind]) || 'pictures';
    return {
      check: 'cleartext-personal-media',
      confidence: open ? 'high' : 'medium',
      ...(!open && { confidenceReason: 'the address asks for a login while made-up ones are not found, so it exists; the picture itself was not fetched' }),
      ...where(o),
      summary: open
        ? `The ${deviceWord(host.identity)} hands out ${what} at ${o.fields['http.media-path'] ?? ''} on port ${o.port ?? 80} over plain HTTP to anyone on your network, without a password.`
        : `The ${deviceWord(host.identity)} serves ${what} at ${o.fields['http.media-path'] ?? ''} on port ${o.port ?? 80} over plain HTTP: with the password, both the password and the ${what} cross your network unencrypted.`,
      observations: [o.id],
      facts: { path: o.fields['http.media-path'] ?? '', login: open ? 'none' : 'asked, over plain HTTP' },
    };
  });
