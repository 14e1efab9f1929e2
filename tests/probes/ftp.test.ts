import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { countListEntries, parsePassivePort, parseReply, replyText } from '../../probes/ftp/codec.js';
import { ftpProbe } from '../../probes/ftp/probe.js';
import { ftpAnonProbe } from '../../probes/ftp-anon/probe.js';
import { fixture, listenTcp, runServiceProbe, subjectFor } from '../fixtures/harness.js';

describe('ftp codec', () => {
  it('parses a one-line greeting', () => {
    const result = parseReply(fixture('ftp/vsftpd-greeting.txt').toString());
    expect(result.kind).toBe('reply');
    if (result.kind !== 'reply') return;
    expect(result.reply.code).toBe(220);
    expect(replyText(result.reply)).toBe('(vsFTPd 3.0.3)');
  });

  it('parses a multi-line greeting and keeps the next reply for later', () => {
    const result = parseReply(fixture('ftp/multiline-greeting.txt').toString());
    if (result.kind !== 'reply') throw new Error(result.kind);
    expect(result.reply.code).toBe(220);
    expect(replyText(result.reply)).toBe(
      'FileZilla Server 0.9.60 beta written by Tim Kosse (tim.kosse@filezilla-project.org) Please visit https://filezilla-project.org/',
    );
    const next = parseReply(result.rest);
    expect(next.kind === 'reply' && next.reply.code).toBe(331);
  });

  it('waits for the end of a reply and refuses garbage', () => {
    expect(parseReply('220-Welcome\r\n220-more').kind).toBe('incomplete');
    expect(parseReply('22').kind).toBe('incomplete');
    expect(parseReply('SSH-2.0-dropbear\r\n').kind).toBe('invalid');
    expect(parseReply('\u0000\u0001\u00ff garbage\n').kind).toBe('invalid');
    expect(parseReply(`220-x\n${'free text\n'.repeat(100)}`).kind).toBe('invalid');
  });

  it('reads the PASV port and counts listing entries', () => {
    expect(parsePassivePort({ code: 227, lines: ['Entering Passive Mode (127,0,0,1,195,80).'] })).toBe(50000);
    expect(parsePassivePort({ code: 227, lines: ['Entering Passive Mode (1,2,3,4,999,1)'] })).toBeUndefined();
    expect(parsePassivePort({ code: 500, lines: ['no'] })).toBeUndefined();
    expect(countListEntries('total 2\r\n-rw-r--r-- 1 ftp ftp 12 Jan 1 a.txt\r\ndrwxr-xr-x 2 ftp ftp 4096 Jan 1 pub\r\n')).toBe(2);
  });
});

/** A tiny FTP server: anonymous login optional, PASV + LIST of three files. */
async function ftpServer(options: { anonymous: boolean; listing: boolean }): Promise<{ port: number; commands: string[] }> {
  const commands: string[] = [];
  const server = await listenTcp((control) => {
    control.write('220-Welcome to the NAS\r\n220 (vsFTPd 3.0.3)\r\n');
    let buffered = '';
    let loggedIn = false;
    let dataServer: Server | undefined;
    let dataSocket: Promise<Socket> | undefined;
    control.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let newline: number;
      while ((newline = buffered.indexOf('\r\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 2);
        commands.push(line);
        const [verb = ''] = line.split(' ');
        if (verb === 'USER') control.write('331 Please specify the password.\r\n');
        else if (verb === 'PASS') {
          loggedIn = options.anonymous;
          control.write(loggedIn ? '230 Login successful.\r\n' : '530 Login incorrect.\r\n');
        } else if (verb === 'PASV' && loggedIn) {
          const passive = createServer();
          dataSocket = new Promise((resolve) => passive.once('connection', resolve));
          passive.listen(0, '127.0.0.1', () => {
            const dataPort = (passive.address() as AddressInfo).port;
            // Announce a foreign address on purpose: the client must ignore it.
            control.write(`227 Entering Passive Mode (10,9,8,7,${Math.floor(dataPort / 256)},${dataPort % 256}).\r\n`);
          });
          dataServer = passive;
        } else if (verb === 'LIST' && dataSocket !== undefined) {
          if (!options.listing) {
            control.write('550 Permission denied.\r\n');
            continue;
          }
          control.write('150 Here comes the directory listing.\r\n');
          void dataSocket.then((socket) => {
            socket.end('-rw-r--r-- 1 ftp ftp 12 Jan 01 a.txt\r\n-rw-r--r-- 1 ftp ftp 12 Jan 01 b.txt\r\ndrwxr-xr-x 2 ftp ftp 4096 Jan 01 pub\r\n', () => {
              control.write('226 Directory send OK.\r\n');
              dataServer?.close();
            });
          });
        } else if (verb === 'QUIT') control.end('221 Goodbye.\r\n');
        else control.write('530 Please login with USER and PASS.\r\n');
      }
    });
    control.on('close', () => {
      void dataSocket?.then((socket) => socket.destroy());
      dataServer?.close();
    });
  });
  closers.push(server.close);
  return { port: server.port, commands };
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

describe('ftp probes', () => {
  it('ftp reads the greeting and logs nothing in', async () => {
    const { port, commands } = await ftpServer({ anonymous: true, listing: true });
    const run = await runServiceProbe(ftpProbe, subjectFor('127.0.0.1', port));
    expect(run.status).toBe('success');
    expect(run.observations[0]?.fields).toEqual({ 'ftp.banner': 'Welcome to the NAS (vsFTPd 3.0.3)' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(commands.filter((command) => command.startsWith('USER'))).toEqual([]);
  });

  it('ftp-anon reports an accepted login and counts the listing', async () => {
    const { port, commands } = await ftpServer({ anonymous: true, listing: true });
    const run = await runServiceProbe(ftpAnonProbe, subjectFor('127.0.0.1', port));
    expect(run.status).toBe('success');
    expect(run.observations[0]?.fields).toEqual({ 'ftp.anonymous': 'accepted', 'ftp.anonymous.listing': 'allowed', 'ftp.anonymous.entries': '3' });
    expect(commands.slice(0, 4)).toEqual(['USER anonymous', 'PASS iotscan@', 'PASV', 'LIST']);
  });

  it('ftp-anon reports a denied listing', async () => {
    const { port } = await ftpServer({ anonymous: true, listing: false });
    const run = await runServiceProbe(ftpAnonProbe, subjectFor('127.0.0.1', port));
    expect(run.observations[0]?.fields).toEqual({ 'ftp.anonymous': 'accepted', 'ftp.anonymous.listing': 'denied' });
  });

  it('ftp-anon reports a rejected login', async () => {
    const { port } = await ftpServer({ anonymous: false, listing: true });
    const run = await runServiceProbe(ftpAnonProbe, subjectFor('127.0.0.1', port));
    expect(run.status).toBe('success');
    expect(run.observations[0]?.fields).toEqual({ 'ftp.anonymous': 'rejected' });
  });
});
