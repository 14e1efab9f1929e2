// Telnet credential driver, strategy `telnet-prompt`: answer the login and password prompts on a
// fresh connection and count a login only when a shell prompt follows the password with no
// failure text and no new login prompt. Silence or a closed line is never a success.
import type { TcpConn } from '../../src/engine/net.js';
import type {
  AttemptOutcome,
  Credential,
  CredentialContext,
  CredentialDriver,
  LoginRequirement,
} from '../../src/engine/probe.js';
import { printable } from '../../src/core/sanitize.js';
import { evidenceText } from './common.js';
import { TelnetDecoder } from '../telnet/codec.js';
import { readScreen } from '../telnet/probe.js';
import type { ScreenRead } from '../telnet/probe.js';

const FAILURE_TEXT = /incorrect|invalid|fail|denied|wrong|bad password|not allowed|unknown user/i;
const BACK_OFF_TEXT = /locked|too many|try again later|temporarily (?:disabled|blocked)|blocked/i;

type Opened = { ok: true; conn: TcpConn; decoder: TelnetDecoder; first: ScreenRead } | { ok: false; requirement: LoginRequirement };

async function open(ctx: CredentialContext): Promise<Opened> {
  const connected = await ctx.net.connectTcp(ctx.subject.address, ctx.subject.port, { timeoutMs: ctx.timeoutMs, signal: ctx.signal, maxBytes: 256 * 1024 });
  if (!connected.ok) {
    const requirement: LoginRequirement = { kind: 'unreachable', status: connected.status };
    if (connected.detail !== undefined) requirement.detail = connected.detail;
    return { ok: false, requirement };
  }
  const decoder = new TelnetDecoder();
  const first = await readScreen(connected.conn, decoder, ctx.timeoutMs);
  return { ok: true, conn: connected.conn, decoder, first };
}

export const telnetDriver: CredentialDriver = {
  protocol: 'telnet',
  strategies: ['telnet-prompt'],
  baselineSpendsAttempt: [],

  async requiresLogin(ctx: CredentialContext): Promise<LoginRequirement> {
    const opened = await open(ctx);
    if (!opened.ok) return opened.requirement;
    opened.conn.close();
    const { screen, end } = opened.first;
    if (screen.prompt === 'login' || screen.prompt === 'password') return { kind: 'login-required', detail: `${screen.prompt} prompt: ${screen.promptLine}` };
    if (screen.prompt === 'shell') return { kind: 'no-login', detail: `shell prompt without a login: ${screen.promptLine}` };
    if (end === 'aborted') return { kind: 'unreachable', status: 'aborted' };
    return { kind: 'unreachable', status: end === 'io-timeout' ? 'io-timeout' : 'protocol-mismatch', detail: 'no prompt' };
  },

  async attempt(ctx: CredentialContext, credential: Credential): Promise<AttemptOutcome> {
    const opened = await open(ctx);
    if (!opened.ok) return { kind: 'abort', reason: `cannot connect: ${opened.requirement.kind === 'unreachable' ? opened.requirement.status : 'unknown'}` };
    const { conn, decoder } = opened;
    try {
      let screen = opened.first;
      if (BACK_OFF_TEXT.test(screen.text)) return { kind: 'back-off', reason: printable(screen.screen.banner, 120) };
      if (screen.screen.prompt === 'login') {
        conn.write(`${credential.username}\r\n`);
        screen = await readScreen(conn, decoder, ctx.timeoutMs);
        // Some devices open a shell for the user name alone; a shell prompt is still the positive sign.
        if (screen.screen.prompt === 'shell') return judgeAfterPassword(screen, credential);
        if (screen.screen.prompt !== 'password') return classifyFailure(screen);
      } else if (screen.screen.prompt !== 'password') {
        return { kind: 'abort', reason: `no login prompt (${screen.screen.prompt})` };
      }
      conn.write(`${credential.password}\r\n`);
      return judgeAfterPassword(await readScreen(conn, decoder, ctx.timeoutMs), credential);
    } finally {
      conn.close();
    }
  },
};

function classifyFailure(screen: ScreenRead): AttemptOutcome {
  if (BACK_OFF_TEXT.test(screen.text)) return { kind: 'back-off', reason: printable(screen.text, 120) };
  if (screen.end === 'aborted') return { kind: 'abort', reason: 'aborted' };
  return { kind: 'rejected' };
}

/** Only a shell prompt after the password, without failure text or a new login prompt, is a login. */
function judgeAfterPassword(screen: ScreenRead, credential: Credential): AttemptOutcome {
  if (BACK_OFF_TEXT.test(screen.text)) return { kind: 'back-off', reason: evidenceText(screen.text, credential, 120) };
  if (screen.end === 'aborted') return { kind: 'abort', reason: 'aborted' };
  if (FAILURE_TEXT.test(screen.text)) return { kind: 'rejected' };
  if (screen.screen.prompt === 'shell') {
    // Evidence never carries the password, even if the device echoed it into the prompt line.
    return { kind: 'success', evidence: evidenceText(`shell prompt after login: ${screen.screen.promptLine}`, credential) };
  }
  // A new login or password prompt, a closed line or silence: not a login.
  return { kind: 'rejected' };
}
