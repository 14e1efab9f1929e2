import { afterEach, describe, expect, it } from 'vitest';
import { buildRequest, describeRank, parseResponse, rtspUrl } from '../../probes/rtsp/codec.js';
import { rtspProbe } from '../../probes/rtsp/probe.js';
import { fixture, listenTcp, runServiceProbe, subjectFor } from '../fixtures/harness.js';

describe('rtsp codec', () => {
  it('builds a real RTSP/1.0 request with CSeq', () => {
    expect(buildRequest('DESCRIBE', rtspUrl('192.168.1.5', 554, '/live.sdp'), 3)).toBe(
      'DESCRIBE rtsp://192.168.1.5:554/live.sdp RTSP/1.0\r\nCSeq: 3\r\nUser-Agent: iotscan\r\nAccept: application/sdp\r\n\r\n',
    );
    expect(rtspUrl('fe80::1', 8554, '/')).toBe('rtsp://[fe80::1]:8554/');
  });

  it('parses an OPTIONS answer', () => {
    const bytes = fixture('rtsp/options-response.txt');
    const result = parseResponse(bytes);
    if (result.kind !== 'response') throw new Error(result.kind);
    expect(result.response.status).toBe(200);
    expect(result.response.headers['server']).toBe('GStreamer RTSP server');
    expect(result.response.headers['public']).toMatch(/^OPTIONS, DESCRIBE/);
    expect(result.consumed).toBe(bytes.length);
  });

  it('joins repeated challenges and waits for a whole body', () => {
    const challenge = parseResponse(fixture('rtsp/describe-401.txt'));
    expect(challenge.kind === 'response' && challenge.response.headers['www-authenticate']).toBe(
      'Digest realm="AXIS_00408C1A2B3C", nonce="0000a1b2c3d4e5f6", stale=FALSE, Basic realm="AXIS_00408C1A2B3C"',
    );
    const whole = fixture('rtsp/describe-200.txt');
    expect(parseResponse(whole.subarray(0, whole.length - 5)).kind).toBe('incomplete');
    const parsed = parseResponse(whole);
    expect(parsed.kind === 'response' && parsed.consumed).toBe(whole.length);
  });

  it('refuses garbage', () => {
    expect(parseResponse(new TextEncoder().encode('HTTP/1.1 200 OK\r\n\r\n')).kind).toBe('invalid');
    expect(parseResponse(Uint8Array.from({ length: 300 }, (_, index) => index % 256)).kind).toBe('invalid');
    expect(parseResponse(new TextEncoder().encode('RTSP/1.0 200 OK\r\nContent-Length: 99999999\r\n\r\n')).kind).toBe('invalid');
    expect(parseResponse(new TextEncoder().encode('RTSP/1.0 200 OK\r\nbad header\r\n\r\n')).kind).toBe('invalid');
  });

  it('ranks DESCRIBE answers', () => {
    expect(describeRank(200)).toBeGreaterThan(describeRank(401));
    expect(describeRank(401)).toBeGreaterThan(describeRank(404));
  });
});

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** A camera that serves /live.sdp to anyone and asks for a login elsewhere. */
async function camera(requests: string[]): Promise<number> {
  const server = await listenTcp((socket) => {
    let buffered = '';
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let end: number;
      while ((end = buffered.indexOf('\r\n\r\n')) >= 0) {
        const request = buffered.slice(0, end);
        buffered = buffered.slice(end + 4);
        requests.push(request.split('\r\n')[0] ?? '');
        const cseq = /CSeq: (\d+)/.exec(request)?.[1] ?? '0';
        if (request.startsWith('OPTIONS')) {
          socket.write(`RTSP/1.0 200 OK\r\nCSeq: ${cseq}\r\nServer: Hipcam RealServer/V1.0\r\nPublic: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN\r\n\r\n`);
        } else if (request.includes('/live.sdp ')) {
          const sdp = 'v=0\r\ns=live\r\n';
          socket.write(`RTSP/1.0 200 OK\r\nCSeq: ${cseq}\r\nContent-Type: application/sdp\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`);
        } else {
          socket.write(`RTSP/1.0 401 Unauthorized\r\nCSeq: ${cseq}\r\nWWW-Authenticate: Basic realm="Hipcam"\r\n\r\n`);
        }
      }
    });
  });
  closers.push(server.close);
  return server.port;
}

describe('rtsp probe', () => {
  it('reports OPTIONS and the best DESCRIBE answer without credentials', async () => {
    const requests: string[] = [];
    const port = await camera(requests);
    const run = await runServiceProbe(rtspProbe, subjectFor('127.0.0.1', port));
    expect(run.status).toBe('success');
    expect(run.observations[0]?.fields).toEqual({
      'rtsp.status': '200',
      'rtsp.server': 'Hipcam RealServer/V1.0',
      'rtsp.public': 'OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN',
      'rtsp.describe-status': '200',
      'rtsp.describe-path': '/live.sdp',
    });
    expect(requests).toEqual([
      `OPTIONS rtsp://127.0.0.1:${port}/ RTSP/1.0`,
      `DESCRIBE rtsp://127.0.0.1:${port}/ RTSP/1.0`,
      `DESCRIBE rtsp://127.0.0.1:${port}/axis-media/media.amp RTSP/1.0`,
      `DESCRIBE rtsp://127.0.0.1:${port}/live.sdp RTSP/1.0`,
    ]);
  });

  it('calls an HTTP server a protocol mismatch', async () => {
    const server = await listenTcp((socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    closers.push(server.close);
    const run = await runServiceProbe(rtspProbe, subjectFor('127.0.0.1', server.port));
    expect(run.status).toBe('protocol-mismatch');
  });
});
