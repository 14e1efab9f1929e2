// The Net port against real sockets on loopback only.
import { createServer as createHttpServer } from 'node:http';
import type { Server as HttpServer } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { createNodeNet } from '../../src/net/node-net.js';
import { parseProcNetArp } from '../../src/net/neighbours.js';

const net = createNodeNet();
const LOOPBACK = '127.0.0.1';
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tcpServer(onConnection: (socket: Socket) => void): Promise<number> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return (server.address() as AddressInfo).port;
}

async function httpServer(handler: Parameters<typeof createHttpServer>[1]): Promise<number> {
  const server: HttpServer = createHttpServer(handler);
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  cleanups.push(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return (server.address() as AddressInfo).port;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const signal = (): AbortSignal => new AbortController().signal;

describe('connectTcp', () => {
  it('maps a refused connection to connection-refused', async () => {
    const result = await net.connectTcp(LOOPBACK, await closedPort(), { timeoutMs: 1000, signal: signal() });
    expect(result).toEqual({ ok: false, status: 'connection-refused' });
  });

  it('returns aborted for an aborted signal', async () => {
    const controller = new AbortController();
    controller.abort();
    const result = await net.connectTcp(LOOPBACK, await closedPort(), { timeoutMs: 1000, signal: controller.signal });
    expect(result).toEqual({ ok: false, status: 'aborted' });
  });

  it('reads until the predicate holds and keeps the rest for the next read', async () => {
    const port = await tcpServer((socket) => socket.write('hello\nworld\n'));
    const result = await net.connectTcp(LOOPBACK, port, { timeoutMs: 1000, signal: signal() });
    if (!result.ok) throw new Error(result.status);
    const { conn } = result;
    expect(conn.remotePort).toBe(port);
    const first = await conn.read({ until: (buffered) => buffered.includes(0x0a), timeoutMs: 1000 });
    expect(first.end).toBe('ok');
    expect(Buffer.from(first.data).toString()).toContain('hello\n');
    conn.close();
  });

  it('reports io-timeout when nothing arrives, and closed when the peer hangs up', async () => {
    const silent = await tcpServer(() => undefined);
    const silentConn = await net.connectTcp(LOOPBACK, silent, { timeoutMs: 1000, signal: signal() });
    if (!silentConn.ok) throw new Error(silentConn.status);
    const waited = await silentConn.conn.read({ timeoutMs: 100 });
    expect(waited).toEqual({ data: new Uint8Array(0), end: 'io-timeout' });
    silentConn.conn.close();

    const closing = await tcpServer((socket) => socket.end('bye'));
    const closingConn = await net.connectTcp(LOOPBACK, closing, { timeoutMs: 1000, signal: signal() });
    if (!closingConn.ok) throw new Error(closingConn.status);
    const read = await closingConn.conn.read({ until: () => false, timeoutMs: 1000 });
    expect(read.end).toBe('closed');
    expect(Buffer.from(read.data).toString()).toBe('bye');
    closingConn.conn.close();
  });

  it('stops at maxBytes per read and destroys a connection that sends more than its cap', async () => {
    const port = await tcpServer((socket) => socket.write(Buffer.alloc(200_000, 0x41)));
    const result = await net.connectTcp(LOOPBACK, port, { timeoutMs: 1000, signal: signal(), maxBytes: 1000 });
    if (!result.ok) throw new Error(result.status);
    const read = await result.conn.read({ until: () => false, maxBytes: 100, timeoutMs: 1000 });
    expect(read.end).toBe('limit');
    expect(read.data.length).toBe(100);
    const rest = await result.conn.read({ until: () => false, maxBytes: 100_000, timeoutMs: 1000 });
    expect(rest.end).toBe('limit');
    expect(rest.data.length).toBe(900);
    result.conn.close();
  });

  it('ends a waiting read when the signal aborts', async () => {
    const port = await tcpServer(() => undefined);
    const controller = new AbortController();
    const result = await net.connectTcp(LOOPBACK, port, { timeoutMs: 1000, signal: controller.signal });
    if (!result.ok) throw new Error(result.status);
    setTimeout(() => controller.abort(), 50);
    const read = await result.conn.read({ timeoutMs: 5000 });
    expect(read.end).toBe('aborted');
    result.conn.close();
  });
});

describe('http', () => {
  it('joins repeated headers, lower-cases names and does not follow redirects', async () => {
    const port = await httpServer((_request, response) => {
      response.writeHead(302, [
        ['Location', '/elsewhere'],
        ['X-Thing', 'a'],
        ['X-Thing', 'b'],
      ]);
      response.end();
    });
    const response = await net.http({ address: LOOPBACK, port, method: 'GET', path: '/', timeoutMs: 1000, maxBytes: 1000, signal: signal() });
    if (!response.ok) throw new Error(response.status);
    expect(response.status).toBe(302);
    expect(response.headers['location']).toBe('/elsewhere');
    expect(response.headers['x-thing']).toBe('a, b');
  });

  it('caps the body and says so', async () => {
    const port = await httpServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end(Buffer.alloc(100_000, 0x42));
    });
    const response = await net.http({ address: LOOPBACK, port, method: 'GET', path: '/', timeoutMs: 1000, maxBytes: 1024, signal: signal() });
    if (!response.ok) throw new Error(response.status);
    expect(response.body.length).toBe(1024);
    expect(response.truncated).toBe(true);
  });

  it('sends a POST body and times out a server that never answers', async () => {
    let received = '';
    const port = await httpServer((request, response) => {
      request.on('data', (chunk: Buffer) => (received += chunk.toString()));
      request.on('end', () => {
        if (received === 'ping') response.end('pong');
      });
    });
    const answered = await net.http({ address: LOOPBACK, port, method: 'POST', path: '/x', body: 'ping', timeoutMs: 1000, maxBytes: 100, signal: signal() });
    expect(answered.ok && Buffer.from(answered.body).toString()).toBe('pong');
    received = '';
    const silent = await net.http({ address: LOOPBACK, port, method: 'POST', path: '/x', body: 'nothing', timeoutMs: 200, maxBytes: 100, signal: signal() });
    expect(silent).toEqual({ ok: false, status: 'io-timeout' });
  });

  it('maps a refused connection and a non-HTTP answer', async () => {
    const refused = await net.http({ address: LOOPBACK, port: await closedPort(), method: 'GET', path: '/', timeoutMs: 1000, maxBytes: 100, signal: signal() });
    expect(refused).toEqual({ ok: false, status: 'connection-refused' });
    const port = await tcpServer((socket) => socket.end('SSH-2.0-dropbear\r\n'));
    const mismatch = await net.http({ address: LOOPBACK, port, method: 'GET', path: '/', timeoutMs: 1000, maxBytes: 100, signal: signal() });
    expect(mismatch.ok).toBe(false);
    expect(!mismatch.ok && mismatch.status).toBe('protocol-mismatch');
  });
});

describe('openUdp', () => {
  it('sends and collects datagrams on loopback, capped in size', async () => {
    const echo = createSocket('udp4');
    echo.on('message', (message, remote) => {
      echo.send(Buffer.concat([message, Buffer.alloc(5000, 0x43)]), remote.port, remote.address);
    });
    await new Promise<void>((resolve) => echo.bind(0, LOOPBACK, resolve));
    cleanups.push(() => {
      echo.close();
    });
    const socket = await net.openUdp({ maxBytes: 100, signal: signal() });
    cleanups.push(() => socket.close());
    await socket.send(LOOPBACK, echo.address().port, new TextEncoder().encode('hi'));
    const datagrams = await socket.collect({ windowMs: 1000, maxDatagrams: 1 });
    expect(datagrams).toHaveLength(1);
    expect(datagrams[0]?.address).toBe(LOOPBACK);
    expect(datagrams[0]?.data.length).toBe(100);
    expect(Buffer.from(datagrams[0]?.data ?? []).subarray(0, 2).toString()).toBe('hi');
  });

  it('opens its IPv6 side on the first IPv6 send and hears both families in one queue', async () => {
    const echo6 = createSocket({ type: 'udp6', ipv6Only: true });
    echo6.on('message', (message, remote) => echo6.send(message, remote.port, remote.address));
    await new Promise<void>((resolve) => echo6.bind(0, '::1', resolve));
    const echo4 = createSocket('udp4');
    echo4.on('message', (message, remote) => echo4.send(message, remote.port, remote.address));
    await new Promise<void>((resolve) => echo4.bind(0, LOOPBACK, resolve));
    cleanups.push(() => {
      echo6.close();
      echo4.close();
    });
    const socket = await net.openUdp({ maxBytes: 100, signal: signal() });
    cleanups.push(() => socket.close());
    await socket.send('::1', echo6.address().port, new TextEncoder().encode('six'));
    await socket.send(LOOPBACK, echo4.address().port, new TextEncoder().encode('four'));
    const datagrams = await socket.collect({ windowMs: 1000, maxDatagrams: 2 });
    expect(datagrams.map((datagram) => [datagram.address, Buffer.from(datagram.data).toString()]).sort()).toEqual([
      ['127.0.0.1', 'four'],
      ['::1', 'six'],
    ]);
  });

  it('refuses a group that is not multicast', async () => {
    await expect(net.openUdp({ maxBytes: 100, signal: signal(), multicastGroups: ['192.168.1.1'] })).rejects.toThrow(/not a multicast group/);
  });

  it('returns what arrived when the window ends', async () => {
    const socket = await net.openUdp({ maxBytes: 100, signal: signal() });
    cleanups.push(() => socket.close());
    const started = Date.now();
    expect(await socket.collect({ windowMs: 120 })).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
  });
});

describe('neighbours', () => {
  it('parses complete entries of /proc/net/arp only', () => {
    const text = [
      'IP address       HW type     Flags       HW address            Mask     Device',
      '192.168.1.1      0x1         0x2         AA:BB:CC:DD:EE:01     *        eth0',
      '192.168.1.9      0x1         0x0         00:00:00:00:00:00     *        eth0',
      '192.168.1.7      0x1         0x6         02:11:22:33:44:55     *        wlan0',
      'garbage line',
    ].join('\n');
    expect(parseProcNetArp(text)).toEqual([
      { address: '192.168.1.1', mac: 'aa:bb:cc:dd:ee:01', confirmed: true },
      { address: '192.168.1.7', mac: '02:11:22:33:44:55', confirmed: true },
    ]);
  });

  it('reads the table of this machine without failing', async () => {
    expect(Array.isArray(await net.neighbours())).toBe(true);
  });
});
