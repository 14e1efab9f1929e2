// The part of an SSH conversation the probe leaves to ssh2: finish the key exchange to learn the
// host key (its signature over the exchange is checked, so the key is really the server's), then
// one `none` userauth request, which a server answers with the methods it accepts. No password,
// no key and no other credential is ever sent; the connection ends right after.
import { createHash } from 'node:crypto';
import ssh2 from 'ssh2';
import type { Algorithms, AuthenticationType } from 'ssh2';
import type { TcpConn } from '../../src/engine/net.js';
import { CLIENT_IDENTIFICATION, CLIENT_SOFTWARE, authMethodsField, hostKeyType } from './codec.js';
import { tcpConnDuplex } from './tcp-duplex.js';

/** The user name in the `none` request; it names the scanner in the device's log. */
const PROBE_USERNAME = 'iotscan';

/**
 * ssh2's defaults plus the older algorithms it supports, so old dropbear builds (SHA-1 key
 * exchange, DSA host keys, CBC ciphers) complete the exchange too. The probe only looks: nothing
 * secret ever travels over this connection.
 */
const ALSO_LEGACY: Algorithms = {
  kex: { append: ['diffie-hellman-group14-sha1', 'diffie-hellman-group-exchange-sha1', 'diffie-hellman-group1-sha1'], prepend: [], remove: [] },
  serverHostKey: { append: ['ssh-dss'], prepend: [], remove: [] },
  cipher: { append: ['aes128-cbc', 'aes192-cbc', 'aes256-cbc', '3des-cbc'], prepend: [], remove: [] },
  hmac: { append: ['hmac-sha1-96', 'hmac-md5', 'hmac-md5-96'], prepend: [], remove: [] },
};

export interface SessionFacts {
  'ssh.hostkey.type'?: string;
  'ssh.hostkey.sha256'?: string;
  'ssh.auth-methods'?: string;
}

/** The fingerprint as `ssh-keygen -l` and OpenSSH's client print it: SHA256, base64 without padding. */
export function openSshFingerprint(blob: Uint8Array): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/**
 * Continues on `conn` after the identification exchange: `alreadyReceived` is every byte read so
 * far (the server's identification and KEXINIT included), and our identification was sent.
 */
export function hostKeyAndAuthMethods(
  conn: TcpConn,
  options: { alreadyReceived: Uint8Array; timeoutMs: number; signal: AbortSignal },
): Promise<SessionFacts> {
  const facts: SessionFacts = {};
  if (options.signal.aborted) return Promise.resolve(facts);
  return new Promise((resolve) => {
    let offeredKey: Uint8Array | undefined;
    let settled = false;
    const sock = tcpConnDuplex(conn, {
      alreadyReceived: options.alreadyReceived,
      alreadySent: new TextEncoder().encode(CLIENT_IDENTIFICATION),
      readTimeoutMs: options.timeoutMs,
    });
    const client = new ssh2.Client();
    const finish = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      options.signal.removeEventListener('abort', finish);
      // A polite SSH_MSG_DISCONNECT, then the socket goes.
      client.end();
      sock.destroy();
      resolve(facts);
    };
    const deadline = setTimeout(finish, options.timeoutMs);
    options.signal.addEventListener('abort', finish, { once: true });
    // The key exchange finished: the server proved it holds the key it offered.
    client.on('handshake', () => {
      if (offeredKey === undefined) return;
      const type = hostKeyType(offeredKey);
      if (type !== undefined) facts['ssh.hostkey.type'] = type;
      facts['ssh.hostkey.sha256'] = openSshFingerprint(offeredKey);
    });
    // The server let us in with `none`: no authentication at all.
    client.on('ready', () => {
      facts['ssh.auth-methods'] = 'none';
      finish();
    });
    client.on('error', finish);
    client.on('close', finish);
    try {
      client.connect({
        sock,
        username: PROBE_USERNAME,
        ident: CLIENT_SOFTWARE,
        algorithms: ALSO_LEGACY,
        hostVerifier: (key: Buffer) => {
          offeredKey = Uint8Array.from(key);
          return true;
        },
        authHandler: (methodsLeft: AuthenticationType[] | null, _partialSuccess: boolean | null, next: (method: { type: 'none'; username: string }) => void) => {
          // ssh2 passes null before the first attempt, then the server's list after each failure.
          if (methodsLeft === null) {
            next({ type: 'none', username: PROBE_USERNAME });
            return;
          }
          const methods = authMethodsField(methodsLeft);
          if (methods !== '') facts['ssh.auth-methods'] = methods;
          finish();
        },
      });
    } catch {
      // ssh2 refused its configuration (an algorithm this runtime lacks): the banner facts stand alone.
      finish();
    }
  });
}
