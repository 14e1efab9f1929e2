// SSH credential driver, strategy `ssh-password` (RFC 4252 §8), on ssh2's Client over a socket
// from ctx.net. Every connection first asks with the `none` method, which tells whether the
// server wants a login at all and whether it offers `password`; only then is the password sent.
// Success is the server's USERAUTH_SUCCESS (or its request to change an expired password, which
// it sends only for a right one); the connection then ends at once: no session, shell or exec.
import ssh2 from 'ssh2';
import type { Algorithms, AuthHandlerMiddleware, AuthenticationType } from 'ssh2';
import type { ProbeStatus } from '../../src/core/model.js';
import type { AttemptOutcome, Credential, CredentialContext, CredentialDriver, LoginRequirement } from '../../src/engine/probe.js';
import { printable } from '../../src/core/sanitize.js';
import { LOCKOUT_TEXT, evidenceText, unreachable } from './common.js';
import { tcpConnDuplex } from '../ssh/tcp-duplex.js';

/** Handshake, `none` and one password answer; a slow device's key exchange takes a few steps' time. */
const STEPS_PER_CONVERSATION = 4;
/** RFC 4253 §11.1 reasons that mean "not now / not you": too many connections, host not allowed. */
const BACK_OFF_REASONS = new Set([1, 12]);
/**
 * Older algorithms on top of ssh2's defaults: many devices still run a dropbear that offers
 * nothing newer. Offering them costs nothing when the server has better ones.
 */
const LEGACY_ALGORITHMS: Algorithms = {
  kex: { append: ['diffie-hellman-group14-sha1', 'diffie-hellman-group-exchange-sha1', 'diffie-hellman-group1-sha1'], prepend: [], remove: [] },
  serverHostKey: { append: ['ssh-dss'], prepend: [], remove: [] },
  // AES only: ssh2 refuses a cipher the local OpenSSL lacks, and every build has AES.
  cipher: { append: ['aes128-cbc', 'aes256-cbc'], prepend: [], remove: [] },
};

type Failed = { kind: 'failed'; status: Exclude<ProbeStatus, 'success' | 'skipped-by-policy'>; detail: string };

type Conversation =
  | { kind: 'none-accepted' }
  | { kind: 'methods'; methods: string[] }
  | { kind: 'password-accepted'; expired: boolean }
  | { kind: 'password-refused' }
  | { kind: 'password-not-offered'; methods: string[] }
  | { kind: 'back-off'; reason: string }
  | Failed;

/**
 * One connection: `none` for `username`, then (when `password` is given and offered) the password.
 * Settles once, whatever the library reports after that.
 */
async function converse(ctx: CredentialContext, username: string, password?: string): Promise<Conversation> {
  const { address, port } = ctx.subject;
  const connected = await ctx.net.connectTcp(address, port, { timeoutMs: ctx.timeoutMs, signal: ctx.signal, maxBytes: 1024 * 1024 });
  if (!connected.ok) return { kind: 'failed', status: connected.status, detail: connected.detail ?? 'connect failed' };
  const stream = tcpConnDuplex(connected.conn, { readTimeoutMs: ctx.timeoutMs });
  const client = new ssh2.Client();
  const budgetMs = ctx.timeoutMs * STEPS_PER_CONVERSATION;

  return new Promise<Conversation>((resolve) => {
    let settled = false;
    let step: 'none' | 'password' = 'none';
    const finish = (result: Conversation): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      ctx.signal.removeEventListener('abort', onAbort);
      client.end();
      stream.destroy();
      resolve(result);
    };
    const onAbort = (): void => finish({ kind: 'failed', status: 'aborted', detail: 'aborted' });
    const deadline = setTimeout(() => finish({ kind: 'failed', status: 'io-timeout', detail: `no answer within ${budgetMs} ms` }), budgetMs);
    ctx.signal.addEventListener('abort', onAbort, { once: true });

    const authHandler: AuthHandlerMiddleware = (methodsLeft, _partial, next) => {
      // ssh2 passes null before the first method and takes `false` to stop; its typings know neither.
      const left = methodsLeft as AuthenticationType[] | null;
      const stop = next as unknown as (method: false) => void;
      if (left === null) {
        next({ type: 'none', username });
        return;
      }
      const methods = left.slice(0, 16).map((method) => printable(String(method), 40));
      if (step === 'password') {
        finish({ kind: 'password-refused' });
      } else if (password === undefined) {
        finish({ kind: 'methods', methods });
      } else if (!methods.includes('password')) {
        finish({ kind: 'password-not-offered', methods });
      } else {
        step = 'password';
        next({ type: 'password', username, password });
        return;
      }
      stop(false);
    };

    client.on('ready', () => finish(step === 'none' ? { kind: 'none-accepted' } : { kind: 'password-accepted', expired: false }));
    // Sent only after a right password that has expired; it is never changed.
    client.on('change password', () => finish({ kind: 'password-accepted', expired: true }));
    client.on('error', (error: Error & { level?: string; code?: unknown }) => {
      const text = printable(error.message, 160);
      if ((typeof error.code === 'number' && BACK_OFF_REASONS.has(error.code)) || LOCKOUT_TEXT.test(text.replace(/_/g, ' '))) {
        finish({ kind: 'back-off', reason: `server disconnected: ${text}` });
      } else if (error.level === 'client-timeout') {
        finish({ kind: 'failed', status: 'io-timeout', detail: text });
      } else if (error.level === 'client-socket') {
        finish({ kind: 'failed', status: 'unknown-error', detail: text });
      } else {
        finish({ kind: 'failed', status: 'protocol-mismatch', detail: text });
      }
    });
    client.on('close', () => finish({ kind: 'failed', status: 'protocol-mismatch', detail: `connection closed during ${step === 'none' ? 'the handshake or the none query' : 'the password exchange'}` }));

    try {
      client.connect({ sock: stream, username, authHandler, readyTimeout: budgetMs, algorithms: LEGACY_ALGORITHMS });
    } catch (error) {
      finish({ kind: 'failed', status: 'unknown-error', detail: printable(error instanceof Error ? error.message : String(error), 160) });
    }
  });
}

export const sshDriver: CredentialDriver = {
  protocol: 'ssh',
  strategies: ['ssh-password'],
  baselineSpendsAttempt: [],

  async requiresLogin(ctx: CredentialContext): Promise<LoginRequirement> {
    const result = await converse(ctx, 'root');
    switch (result.kind) {
      case 'none-accepted':
        return { kind: 'no-login', detail: 'the server accepted the "none" method: no password asked' };
      case 'methods':
        return result.methods.includes('password')
          ? { kind: 'login-required', detail: `"none" refused; methods offered: ${result.methods.join(',')}` }
          : { kind: 'unreachable', status: 'protocol-mismatch', detail: `password not offered (methods: ${result.methods.join(',')})` };
      case 'back-off':
        return { kind: 'unreachable', status: 'protocol-mismatch', detail: result.reason };
      case 'failed':
        return unreachable({ status: result.status, detail: result.detail });
      case 'password-accepted':
      case 'password-refused':
      case 'password-not-offered':
        // converse without a password never gets this far.
        return { kind: 'unreachable', status: 'unknown-error', detail: result.kind };
    }
  },

  async attempt(ctx: CredentialContext, credential: Credential): Promise<AttemptOutcome> {
    const result = await converse(ctx, credential.username, credential.password);
    switch (result.kind) {
      case 'password-accepted':
        return {
          kind: 'success',
          evidence: evidenceText(
            `"none" refused, then password authentication accepted for "${credential.username}"${result.expired ? ' (the server asked to change the expired password; it was not changed)' : ''}; connection closed without opening a session`,
            credential,
          ),
        };
      case 'password-refused':
        return { kind: 'rejected' };
      case 'none-accepted':
        return { kind: 'abort', reason: 'the server accepts the "none" method: a password proves nothing here' };
      case 'password-not-offered':
        return { kind: 'abort', reason: `password not offered (methods: ${result.methods.join(',')})` };
      case 'back-off':
        return { kind: 'back-off', reason: result.reason };
      case 'failed':
        return { kind: 'abort', reason: `${result.status}: ${result.detail}` };
      case 'methods':
        return { kind: 'abort', reason: 'no password was sent' };
    }
  },
};
