import { createHash, randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { rtspDriver } from '../../probes/creds/rtsp.js';
import { credentialContext, listenTcp, subjectFor } from '../fixtures/harness.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

interface CameraOptions {
  user: string;
  password: string;
  /** Which challenge a request without (right) credentials gets. */
  scheme: 'digest' | 'basic' | 'open';
  /** Status for any request carrying credentials, instead of checking them. */
  statusWithCredentials?: number;
  /** Close the connection after every response, as some cameras do. */
  closeAfterEach?: boolean;
  /** Keep the line open after the first answer, then close it when the next request arrives. */
  closeOnSecondRequest?: boolean;
}

/** A small RTSP camera: DESCRIBE answered with 401 + challenge, or 200 + SDP for the right pair. */
async function camera(options: CameraOptions) {
  const log = { methods: [] as string[], withCredentials: 0, uris: [] as string[] };
  const nonces = new Set<string>();
  const realm = 'IP Camera(C6284)';
  const authorized = (method: string, url: string, header: string | undefined): boolean => {
    if (header === undefined) return false;
    if (header.startsWith('Basic ')) return options.scheme === 'basic' && header === `Basic ${Buffer.from(`${options.user}:${options.password}`).toString('base64')}`;
    const fields = Object.fromEntries([...header.matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]*))/g)].map((m) => [m[1], m[2] ?? m[3] ?? '']));
    const md5 = (text: string) => createHash('md5').update(text).digest('hex');
    log.uris.push(fields['uri'] ?? '');
    // RFC 2069 form, as many cameras do it: no qop.
    const expected = md5(`${md5(`${fields['username']}:${realm}:${options.password}`)}:${fields['nonce']}:${md5(`${method}:${fields['uri']}`)}`);
    return options.scheme === 'digest' && fields['username'] === options.user && fields['uri'] === url && nonces.has(fields['nonce'] ?? '') && fields['response'] === expected;
  };
  const respond = (socket: Socket, request: string): void => {
    const [requestLine = '', ...headerLines] = request.split('\r\n');
    const [method = '', url = ''] = requestLine.split(' ');
    const headers = Object.fromEntries(headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
    log.methods.push(method);
    const cseq = headers['cseq'] ?? '0';
    const authorization = headers['authorization'];
    if (authorization !== undefined) log.withCredentials += 1;
    let status = '401 Unauthorized';
    let extra = '';
    if (authorization !== undefined && options.statusWithCredentials !== undefined) {
      status = `${options.statusWithCredentials} Status`;
    } else if (options.scheme === 'open' || authorized(method, url, authorization)) {
      const sdp = 'v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=Stream\r\nm=video 0 RTP/AVP 96\r\n';
      status = '200 OK';
      extra = `Content-Type: application/sdp\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`;
    } else {
      const nonce = randomBytes(8).toString('hex');
      nonces.add(nonce);
      extra = options.scheme === 'digest' ? `WWW-Authenticate: Digest realm="${realm}", nonce="${nonce}", stale="FALSE"\r\n\r\n` : `WWW-Authenticate: Basic realm="${realm}"\r\n\r\n`;
    }
    socket.write(`RTSP/1.0 ${status}\r\nCSeq: ${cseq}\r\nServer: Hipcam RealServer/V1.0\r\n${extra.includes('\r\n\r\n') ? extra : `${extra}\r\n`}`);
    if (options.closeAfterEach === true) socket.end();
  };
  const server = await listenTcp((socket) => {
    let buffered = '';
    let handled = 0;
    socket.on('data', (chunk: Buffer) => {
      // Like a camera that closed its socket: what arrives after the close is never handled.
      if (socket.writableEnded) return;
      buffered += chunk.toString('latin1');
      let end: number;
      while ((end = buffered.indexOf('\r\n\r\n')) >= 0) {
        const request = buffered.slice(0, end);
        buffered = buffered.slice(end + 4);
        handled += 1;
        if (options.closeOnSecondRequest === true && handled === 2) socket.destroy();
        if (!socket.writableEnded && !socket.destroyed) respond(socket, request);
      }
    });
  });
  cleanups.push(server.close);
  return { port: server.port, log };
}

describe('rtsp-auth driver', () => {
  it('answers a Digest challenge; success only for the right pair, and only DESCRIBE is ever sent', async () => {
    const { port, log } = await camera({ user: 'admin', password: '888888', scheme: 'digest' });
    const ctx = credentialContext(subjectFor('127.0.0.1', port), { path: '/11' });
    expect(await rtspDriver.requiresLogin(ctx)).toEqual({ kind: 'login-required', detail: 'DESCRIBE /11: 401 Digest' });
    expect(await rtspDriver.attempt(ctx, { username: 'admin', password: 'admin' })).toEqual({ kind: 'rejected' });
    const success = await rtspDriver.attempt(ctx, { username: 'admin', password: '888888' });
    expect(success).toEqual({ kind: 'success', evidence: 'DESCRIBE /11: 401 without credentials, 200 with them (Digest MD5); no stream set up' });
    expect(log.withCredentials).toBe(2);
    expect(new Set(log.methods)).toEqual(new Set(['DESCRIBE']));
    expect(log.uris).toEqual([`rtsp://127.0.0.1:${port}/11`, `rtsp://127.0.0.1:${port}/11`]);
  });

  it('answers a Basic challenge, also when the camera closes after every response', async () => {
    const { port, log } = await camera({ user: 'root', password: 'pass', scheme: 'basic', closeAfterEach: true });
    const ctx = credentialContext(subjectFor('127.0.0.1', port));
    expect(await rtspDriver.requiresLogin(ctx)).toEqual({ kind: 'login-required', detail: 'DESCRIBE /: 401 Basic' });
    expect(await rtspDriver.attempt(ctx, { username: 'root', password: 'root' })).toEqual({ kind: 'rejected' });
    expect((await rtspDriver.attempt(ctx, { username: 'root', password: 'pass' })).kind).toBe('success');
    expect(log.withCredentials).toBe(2);
  });

  it('sends a request once more on a fresh line when a kept-alive one closes without answering', async () => {
    const { port, log } = await camera({ user: 'root', password: 'pass', scheme: 'basic', closeOnSecondRequest: true });
    const outcome = await rtspDriver.attempt(credentialContext(subjectFor('127.0.0.1', port)), { username: 'root', password: 'pass' });
    expect(outcome.kind).toBe('success');
    expect(log.withCredentials).toBe(1);
  });

  it('reports no-login (never success) for a stream open to anyone', async () => {
    const { port, log } = await camera({ user: 'admin', password: 'x', scheme: 'open' });
    const ctx = credentialContext(subjectFor('127.0.0.1', port));
    expect(await rtspDriver.requiresLogin(ctx)).toEqual({ kind: 'no-login', detail: 'DESCRIBE /: 200 without credentials' });
    expect((await rtspDriver.attempt(ctx, { username: 'admin', password: 'x' })).kind).toBe('abort');
    expect(log.withCredentials).toBe(0);
  });

  it('backs off on 503', async () => {
    const { port } = await camera({ user: 'admin', password: 'x', scheme: 'digest', statusWithCredentials: 503 });
    const outcome = await rtspDriver.attempt(credentialContext(subjectFor('127.0.0.1', port)), { username: 'admin', password: 'x' });
    expect(outcome).toEqual({ kind: 'back-off', reason: 'status 503' });
  });
});
