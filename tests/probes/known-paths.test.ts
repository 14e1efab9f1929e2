import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { checkInfoPath, checkMediaPath, leaksIn } from '../../probes/http/known-paths.js';
import { loadSignatures } from '../../src/signatures/load.js';
import type { InfoPath } from '../../src/signatures/schema.js';
import { credentialContext, subjectFor } from '../fixtures/harness.js';

const pack = loadSignatures();
const infoPathOf = (fingerprint: string): InfoPath => pack.fingerprints.find((f) => f.spec.id === fingerprint)!.spec.infoPaths![0]!;

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function serve(handler: (request: IncomingMessage, response: ServerResponse) => void) {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url} ${request.headers.authorization ?? '-'}`);
    handler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  return { ctx: credentialContext(subjectFor('127.0.0.1', (server.address() as AddressInfo).port)), requests };
}

describe('status pages a fingerprint names', () => {
  it('names the kinds of leak by the markers, never the values', async () => {
    const { ctx, requests } = await serve((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'application/json' }).end('{"wifi_sta":{"connected":true,"ssid":"Family Home","ip":"192.168.1.5"},"mac":"C45BBE78A8A4"}');
    });
    const fields = await checkInfoPath(ctx, infoPathOf('shelly-device'));
    expect(fields).toEqual({ 'http.info-path': '/status', 'http.info-leaks': 'wifi-ssid,mac' });
    expect(JSON.stringify(fields)).not.toContain('Family Home');
    expect(requests).toEqual(['GET /status -']);
  });

  it('reports nothing for a page behind a login, or a 200 page without the markers', async () => {
    const locked = await serve((_request, response) => void response.writeHead(401, { 'WWW-Authenticate': 'Basic realm="x"' }).end());
    expect(await checkInfoPath(locked.ctx, infoPathOf('shelly-device'))).toBeUndefined();
    const catchAll = await serve((_request, response) => void response.writeHead(200, { 'Content-Type': 'text/html' }).end('<html><title>Welcome</title>Wi-Fi settings: see the app</html>'));
    expect(await checkInfoPath(catchAll.ctx, infoPathOf('shelly-device'))).toBeUndefined();
  });

  it('matches markers without regard to case, and each kind once', () => {
    expect(leaksIn('{"mac_address":"AA:BB:CC:DD:EE:FF","ssid":"x","SSID":"y"}', infoPathOf('google-chromecast').leaks).sort()).toEqual(['mac', 'wifi-ssid']);
  });
});

describe('camera pictures over plain HTTP', () => {
  const snapshot = { path: '/axis-cgi/jpg/image.cgi', kind: 'snapshot' as const, why: 'test' };

  it('a picture handed out at once is media without a login, and only its first bytes are read', async () => {
    const { ctx } = await serve((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'image/jpeg' });
      response.end(Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(200_000)]));
    });
    expect(await checkMediaPath(ctx, snapshot)).toEqual({ 'http.media-path': '/axis-cgi/jpg/image.cgi', 'http.media-kind': 'snapshot', 'http.media-auth': 'none' });
  });

  it('a camera that sends JPEG bytes without a content type still counts', async () => {
    const { ctx } = await serve((_request, response) => void response.writeHead(200).end(Buffer.from([0xff, 0xd8, 0xff, 0xdb, 0, 0])));
    expect((await checkMediaPath(ctx, snapshot))?.['http.media-auth']).toBe('none');
  });

  it('a login at the picture URL counts only when a made-up URL is simply not found', async () => {
    const guarded = await serve((request, response) => {
      if (request.url === snapshot.path) response.writeHead(401, { 'WWW-Authenticate': 'Basic realm="cam"' }).end();
      else response.writeHead(404).end();
    });
    expect((await checkMediaPath(guarded.ctx, snapshot))?.['http.media-auth']).toBe('required');
    expect(guarded.requests[0]).toBe('GET /axis-cgi/jpg/image.cgi -');
    expect(guarded.requests[1]).toMatch(/^GET \/iotscan-[0-9a-f]{8}\.jpg -$/);

    const everythingLocked = await serve((_request, response) => void response.writeHead(401, { 'WWW-Authenticate': 'Basic realm="cam"' }).end());
    expect(await checkMediaPath(everythingLocked.ctx, snapshot)).toBeUndefined();
  });

  it('an HTML page at the picture URL is not media', async () => {
    const { ctx } = await serve((_request, response) => void response.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>login</html>'));
    expect(await checkMediaPath(ctx, snapshot)).toBeUndefined();
  });
});
