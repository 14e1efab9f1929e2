// An SSH server for lab devices, built on ssh2's Server: a real key exchange, a chosen software
// version in the identification string, chosen algorithm lists, a host key of the device's own
// (or one baked into a firmware image and shared with other devices), and a chosen list of offered
// auth methods. Passwords in `accept` log in; every other attempt is rejected. A logged-in client
// still gets nothing: with no 'session', 'tcpip' or 'request' listener, ssh2 refuses every channel
// and forwarding request itself, so no command ever runs.
import ssh2 from 'ssh2';
import type { Algorithms, AuthenticationType } from 'ssh2';
import { serveTcp, type RunningServer } from '../listen.js';

export interface SshServerOptions {
  host: string;
  port: number;
  /** Software version after `SSH-2.0-`, e.g. `dropbear_2014.63` or `OpenSSH_9.2p1 Debian-2+deb12u3`. */
  ident: string;
  /** Methods announced in every rejection, e.g. ['password'] or ['publickey']. */
  authMethods: AuthenticationType[];
  /** Host private key (PEM or OpenSSH format); a fresh ed25519 key, unique to this start, when absent. */
  hostKey?: string;
  /** What the server offers in its KEXINIT; ssh2's defaults when absent. */
  algorithms?: Algorithms;
  /** Username/password pairs that log in. */
  accept?: readonly { username: string; password: string }[];
  /** Called once per authentication attempt other than the `none` method query. */
  onLoginAttempt?: () => void;
  /**
   * Ban a client address after this many failed logins, as fail2ban's sshd jail does: its
   * connections are then cut at once, like the firewall REJECT of fail2ban's default action.
   */
  banAfter?: { failures: number; banMs: number };
}

const MAX_AUTH_ATTEMPTS_PER_CONNECTION = 10;
const LOGIN_GRACE_MS = 30_000;

/**
 * A fresh ed25519 host key that ssh2 can read back: about one generated key in 256 trips its parser
 * (mscdex/ssh2 issues 1390 and 1513), and a device must not fail to start on it.
 */
export function parsableHostKey(): string {
  for (;;) {
    const key = ssh2.utils.generateKeyPairSync('ed25519').private;
    if (!(ssh2.utils.parseKey(key) instanceof Error)) return key;
  }
}

export async function startSshServer(options: SshServerOptions): Promise<RunningServer> {
  const hostKey = options.hostKey ?? parsableHostKey();
  const accepted = options.accept ?? [];

  const failures = new Map<string, { count: number; bannedUntil: number }>();
  const banned = (address: string): boolean => (failures.get(address)?.bannedUntil ?? 0) > Date.now();
  const failedFrom = (address: string): void => {
    if (options.banAfter === undefined) return;
    const entry = failures.get(address) ?? { count: 0, bannedUntil: 0 };
    entry.count += 1;
    if (entry.count >= options.banAfter.failures) entry.bannedUntil = Date.now() + options.banAfter.banMs;
    failures.set(address, entry);
  };

  const sshServer = new ssh2.Server(
    { hostKeys: [hostKey], ident: options.ident, ...(options.algorithms !== undefined && { algorithms: options.algorithms }) },
    (client, info) => {
      let attempts = 0;
      client.on('authentication', (context) => {
        if (context.method === 'none') {
          context.reject(options.authMethods);
          return;
        }
        attempts += 1;
        options.onLoginAttempt?.();
        const loggedIn =
          context.method === 'password' &&
          options.authMethods.includes('password') &&
          accepted.some((pair) => pair.username === context.username && pair.password === context.password);
        if (loggedIn) {
          context.accept();
          return;
        }
        failedFrom(info.ip);
        context.reject(options.authMethods);
        if (attempts >= MAX_AUTH_ATTEMPTS_PER_CONNECTION) client.end();
      });
      client.on('error', () => client.end());
    },
  );

  // The TCP side is ours, so every socket can be bounded in time and destroyed at stop.
  return serveTcp(options.host, options.port, (socket) => {
    if (banned(socket.remoteAddress ?? '')) {
      socket.destroy();
      return;
    }
    socket.setTimeout(LOGIN_GRACE_MS, () => socket.destroy());
    sshServer.injectSocket(socket);
  });
}
