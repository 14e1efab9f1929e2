// SSH version probe: the server's identification line, then (after sending ours) the algorithm
// lists of its KEXINIT; then, on the same connection, ssh2 finishes the key exchange for the host
// key and sends one `none` userauth for the list of auth methods. It never authenticates.
import type { TcpConn } from '../../src/engine/net.js';
import { onPorts, type ProbeContext, type ProbeOutput, type ServiceProbe } from '../../src/engine/probe.js';
import { CLIENT_IDENTIFICATION, parseIdentification, parseKexInit } from './codec.js';
import type { KexInit, SshIdentification } from './codec.js';
import { hostKeyAndAuthMethods } from './session.js';

const DEFAULT_PORTS = [22, 2222] as const;

export const sshProbe: ServiceProbe = {
  kind: 'service',
  id: 'ssh',
  protocol: 'ssh',
  categories: ['version'],
  transport: 'tcp',
  defaultPorts: DEFAULT_PORTS,
  fields: [
    'ssh.banner',
    'ssh.software',
    'ssh.comment',
    'ssh.kex',
    'ssh.hostkey-algorithms',
    'ssh.ciphers',
    'ssh.macs',
    'ssh.hostkey.type',
    'ssh.hostkey.sha256',
    'ssh.auth-methods',
  ],
  bannerField: 'ssh.banner',
  appliesTo: onPorts('tcp', DEFAULT_PORTS),
  run,
};

async function* run(ctx: ProbeContext): AsyncIterable<ProbeOutput> {
  const { address, port } = ctx.subject;
  const connected = await ctx.net.connectTcp(address, port, { timeoutMs: ctx.timeoutMs, signal: ctx.signal, maxBytes: 128 * 1024 });
  if (!connected.ok) {
    yield { kind: 'status', status: connected.status, ...(connected.detail === undefined ? {} : { detail: connected.detail }) };
    return;
  }
  const conn = connected.conn;
  try {
    const greeting = await conn.read({ until: (buffered) => parseIdentification(buffered).kind !== 'incomplete', maxBytes: 16 * 1024 });
    const parsed = parseIdentification(greeting.data);
    if (parsed.kind !== 'found') {
      if (greeting.end === 'aborted') yield { kind: 'status', status: 'aborted' };
      else if (greeting.data.length === 0 && greeting.end === 'io-timeout') yield { kind: 'status', status: 'io-timeout', detail: 'no identification line' };
      else yield { kind: 'status', status: 'protocol-mismatch', detail: 'no SSH identification line' };
      return;
    }
    conn.write(CLIENT_IDENTIFICATION);
    const { kexInit, more } = await readKexInit(conn, parsed.rest);
    const fields = observationFields(parsed.identification, kexInit);
    if (kexInit !== undefined) {
      // A key exchange and a userauth round trip: a few network steps.
      const session = await hostKeyAndAuthMethods(conn, { alreadyReceived: Buffer.concat([greeting.data, more]), timeoutMs: 2 * ctx.timeoutMs, signal: ctx.signal });
      Object.assign(fields, session);
    }
    yield { kind: 'observation', port, transport: 'tcp', fields };
    yield { kind: 'status', status: ctx.signal.aborted ? 'aborted' : 'success' };
  } finally {
    conn.close();
  }
}

/** The server's KEXINIT, and the bytes read after `alreadyRead` to get it. */
async function readKexInit(conn: TcpConn, alreadyRead: Uint8Array): Promise<{ kexInit?: KexInit; more: Uint8Array }> {
  const first = parseKexInit(alreadyRead);
  if (first.kind === 'found') return { kexInit: first.kexInit, more: new Uint8Array(0) };
  if (first.kind === 'invalid') return { more: new Uint8Array(0) };
  const more = await conn.read({
    until: (buffered) => parseKexInit(Buffer.concat([alreadyRead, buffered])).kind !== 'incomplete',
    maxBytes: 40 * 1024,
  });
  const result = parseKexInit(Buffer.concat([alreadyRead, more.data]));
  return result.kind === 'found' ? { kexInit: result.kexInit, more: more.data } : { more: more.data };
}

function observationFields(identification: SshIdentification, kexInit: KexInit | undefined): Record<string, string> {
  const fields: Record<string, string> = { 'ssh.banner': identification.banner, 'ssh.software': identification.software };
  if (identification.comment !== undefined) fields['ssh.comment'] = identification.comment;
  if (kexInit !== undefined) {
    fields['ssh.kex'] = kexInit.kex.join(',');
    fields['ssh.hostkey-algorithms'] = kexInit.hostKeyAlgorithms.join(',');
    fields['ssh.ciphers'] = kexInit.ciphers.join(',');
    fields['ssh.macs'] = kexInit.macs.join(',');
  }
  return fields;
}
