// Findings from the pages a fingerprint names (probes/http/known-paths.ts): status pages that show
// private data without a login, and camera pictures or streams served over plain HTTP. Pure.
import type { Observation } from './model.js';
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
  byPort(withField(host, 'http.info-leaks')).map((group) => {
    const first = group[0]!;
    const leaks = [...new Set(group.flatMap((o) => (o.fields['http.info-leaks'] ?? '').split(',')))].filter((kind): kind is InfoLeakKind => kind in LEAK_WORDS);
    const secret = leaks.some((kind) => SECRET_LEAK_KINDS.includes(kind));
    const paths = group.map((o) => o.fields['http.info-path'] ?? '').join(', ');
    return {
      check: 'unauth-info-endpoint',
      ...(secret && { severity: 'high' as const }),
      confidence: 'high',
      ...where(first),
      summary: `The ${deviceWord(host.identity)}'s page ${paths} on port ${first.port ?? 80} shows ${inWords(leaks.map((kind) => LEAK_WORDS[kind]))} to anyone on your network, without a password.`,
      observations: group.map((o) => o.id),
      facts: { paths, leaks: leaks.join(', ') },
    };
  });

/** One finding per port: a camera usually serves its snapshot and its stream side by side. */
function byPort(observations: readonly Observation[]): Observation[][] {
  const groups = new Map<string, Observation[]>();
  for (const o of observations) groups.set(`${o.port ?? ''}`, [...(groups.get(`${o.port ?? ''}`) ?? []), o]);
  return [...groups.values()];
}

export const cleartextPersonalMedia: Rule = (host) =>
  byPort(withField(host, 'http.media-auth')).map((group) => {
    const first = group[0]!;
    const open = group.filter((o) => o.fields['http.media-auth'] === 'none');
    const shown = open.length > 0 ? open : group;
    const what = inWords([...new Set(shown.map((o) => MEDIA_WORDS[o.fields['http.media-kind'] as keyof typeof MEDIA_WORDS] ?? 'pictures'))]);
    const paths = shown.map((o) => o.fields['http.media-path'] ?? '').join(', ');
    return {
      check: 'cleartext-personal-media',
      confidence: open.length > 0 ? 'high' : 'medium',
      ...(open.length === 0 && { confidenceReason: 'the addresses ask for a login while made-up ones are not found, so they exist; no picture was fetched' }),
      ...where(first),
      summary:
        open.length > 0
          ? `The ${deviceWord(host.identity)} hands out ${what} at ${paths} on port ${first.port ?? 80} over plain HTTP to anyone on your network, without a password.`
          : `The ${deviceWord(host.identity)} serves ${what} at ${paths} on port ${first.port ?? 80} over plain HTTP: with the password, both the password and the ${what} cross your network unencrypted.`,
      observations: group.map((o) => o.id),
      facts: { paths, login: open.length > 0 ? 'none' : 'asked, over plain HTTP' },
    };
  });
