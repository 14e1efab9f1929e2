// The status pages and picture/stream URLs a matched fingerprint names (signatures/fingerprints,
// `infoPaths` and `mediaPaths`), fetched once each with a plain GET and no credentials, like
// opening them in a browser. Only the first bytes are read: enough for the headers and for the
// markers of a leak; a picture or stream is never kept, and no leaked value is ever kept either,
// only the kind of leak.
import type { ProbeContext } from '../../src/engine/probe.js';
import type { HttpResponse } from '../../src/engine/net.js';
import type { InfoLeakKind, InfoPath, MediaPath } from '../../src/signatures/schema.js';
import { hostHeader } from './probe.js';

/** Status pages are small JSON or HTML documents. */
const MAX_INFO_BYTES = 16 * 1024;
/** Headers and the first bytes of a picture: enough for its type, never the picture. */
const MAX_MEDIA_BYTES = 2 * 1024;

const MEDIA_TYPES = /^(image\/|multipart\/x-mixed-replace|audio\/|video\/)/i;
const JPEG_START = [0xff, 0xd8, 0xff];

function get(ctx: ProbeContext, path: string, maxBytes: number): Promise<HttpResponse | { ok: false }> {
  const { address, port } = ctx.subject;
  return ctx.net.http({
    address,
    port,
    method: 'GET',
    path,
    headers: { host: hostHeader(address, port), 'user-agent': 'iotscan', accept: '*/*', connection: 'close' },
    timeoutMs: ctx.timeoutMs,
    maxBytes,
    signal: ctx.signal,
  });
}

/** Which kinds of private data a status page's body shows, by the entry's markers. */
export function leaksIn(body: string, leaks: InfoPath['leaks']): InfoLeakKind[] {
  const found = leaks.filter((leak) => new RegExp(leak.pattern, 'i').test(body)).map((leak) => leak.kind);
  return [...new Set(found)];
}

/** Fields for a status page that answered without a login and showed a leak; undefined otherwise. */
export async function checkInfoPath(ctx: ProbeContext, entry: InfoPath): Promise<Record<string, string> | undefined> {
  const response = await get(ctx, entry.path, MAX_INFO_BYTES);
  if (!response.ok || response.status < 200 || response.status >= 300) return undefined;
  const leaks = leaksIn(Buffer.from(response.body).toString('utf8'), entry.leaks);
  if (leaks.length === 0) return undefined;
  return { 'http.info-path': entry.path, 'http.info-leaks': leaks.join(',') };
}

/** A picture, stream or sound by its declared type or, for cameras that send none, JPEG's first bytes. */
export function isMediaResponse(response: HttpResponse): boolean {
  if (MEDIA_TYPES.test(response.headers['content-type'] ?? '')) return true;
  return JPEG_START.every((byte, index) => response.body[index] === byte);
}

function unguessablePath(): string {
  return `/iotscan-${Math.floor(Math.random() * 0xffffffff).toString(16).padStart(8, '0')}.jpg`;
}

/**
 * Fields for a media URL served over plain HTTP: `none` when it answers with a picture or stream
 * at once; `required` when it asks for a login while a made-up path on the same port is simply
 * not found (so the login guards this URL, not every URL). Undefined when neither is shown.
 */
export async function checkMediaPath(ctx: ProbeContext, entry: MediaPath): Promise<Record<string, string> | undefined> {
  const response = await get(ctx, entry.path, MAX_MEDIA_BYTES);
  if (!response.ok) return undefined;
  const base = { 'http.media-path': entry.path, 'http.media-kind': entry.kind };
  if (response.status >= 200 && response.status < 300) return isMediaResponse(response) ? { ...base, 'http.media-auth': 'none' } : undefined;
  if (response.status !== 401 && response.status !== 403) return undefined;
  const control = await get(ctx, unguessablePath(), MAX_MEDIA_BYTES);
  return control.ok && control.status === 404 ? { ...base, 'http.media-auth': 'required' } : undefined;
}
