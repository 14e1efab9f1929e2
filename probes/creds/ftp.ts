// FTP credential driver, strategy `ftp-login` (RFC 959 §4.1.1, §5.4): USER, PASS, QUIT. A login
// counts only when 230 answers the pair where a made-up user got 530. It never lists, changes
// directory or transfers anything.
import type { ProbeStatus } from '../../src/core/model.js';
import type { AttemptOutcome, Credential, CredentialContext, CredentialDriver, LoginRequirement } from '../../src/engine/probe.js';
import { Baselines, LOCKOUT_TEXT, evidenceText, hasLineBreak, throwawayName, unreachable } from './common.js';
import { replyText } from '../ftp/codec.js';
import type { FtpReply } from '../ftp/codec.js';
import { FtpControl } from '../ftp/probe.js';

/** 530 not logged in; 430 invalid user name or password (RFC 2228 era servers). */
const REFUSED_CODES = new Set([530, 430]);
/** 421: service not available, closing (too many users, or this client is being refused). */
const BUSY = 421;

type Login =
  | { kind: 'accepted'; reply: FtpReply; step: 'USER' | 'PASS' }
  | { kind: 'refused'; reply: FtpReply }
  | { kind: 'busy'; reply: FtpReply }
  | { kind: 'failed'; status: Exclude<ProbeStatus, 'success' | 'skipped-by-policy'>; detail: string };

/** The made-up user's answer, kept per server: one wrong login per scan, not one per attempt. */
const baselines = new Baselines<Login>();

async function login(ctx: CredentialContext, credential: Credential): Promise<Login> {
  const opened = await FtpControl.open(ctx);
  if (!opened.ok) return { kind: 'failed', status: narrow(opened.status), detail: opened.detail ?? opened.status };
  const { control, greeting } = opened;
  try {
    if (greeting.code === BUSY) return { kind: 'busy', reply: greeting };
    if (greeting.code !== 220) return { kind: 'failed', status: 'protocol-mismatch', detail: `greeting code ${greeting.code}` };
    const user = await control.command(`USER ${credential.username}`);
    if (!user.ok) return { kind: 'failed', status: narrow(user.status), detail: user.detail };
    let answer = user.reply;
    let step: 'USER' | 'PASS' = 'USER';
    if (answer.code === 331) {
      const pass = await control.command(`PASS ${credential.password}`);
      if (!pass.ok) return { kind: 'failed', status: narrow(pass.status), detail: pass.detail };
      answer = pass.reply;
      step = 'PASS';
    }
    control.quit();
    if (answer.code === 230) return { kind: 'accepted', reply: answer, step };
    if (answer.code === BUSY) return { kind: 'busy', reply: answer };
    if (REFUSED_CODES.has(answer.code)) return { kind: 'refused', reply: answer };
    return { kind: 'failed', status: 'protocol-mismatch', detail: `${answer.code} after ${step}` };
  } finally {
    control.close();
  }
}

function narrow(status: ProbeStatus): Exclude<ProbeStatus, 'success' | 'skipped-by-policy'> {
  return status === 'success' || status === 'skipped-by-policy' ? 'unknown-error' : status;
}

async function measureBaseline(ctx: CredentialContext): Promise<Login> {
  const result = await login(ctx, { username: throwawayName(), password: throwawayName() });
  if (result.kind === 'accepted' || result.kind === 'refused') baselines.remember(`${ctx.subject.address}|${ctx.subject.port}`, result);
  return result;
}

export const ftpDriver: CredentialDriver = {
  protocol: 'ftp',
  strategies: ['ftp-login'],
  baselineSpendsAttempt: ['ftp-login'],

  async requiresLogin(ctx: CredentialContext): Promise<LoginRequirement> {
    const baseline = await measureBaseline(ctx);
    switch (baseline.kind) {
      case 'refused':
        return { kind: 'login-required', detail: `a made-up user gets ${baseline.reply.code}: ${replyText(baseline.reply)}` };
      case 'accepted':
        return { kind: 'no-login', detail: `a made-up user gets 230 after ${baseline.step}: ${replyText(baseline.reply)}` };
      case 'busy':
        return { kind: 'unreachable', status: 'protocol-mismatch', detail: `421: ${replyText(baseline.reply)}` };
      case 'failed':
        return unreachable(baseline);
    }
  },

  async attempt(ctx: CredentialContext, credential: Credential): Promise<AttemptOutcome> {
    if (hasLineBreak(credential)) return { kind: 'abort', reason: 'the pair contains a line break' };
    const baseline = baselines.recall(`${ctx.subject.address}|${ctx.subject.port}`) ?? (await measureBaseline(ctx));
    if (baseline.kind === 'busy') return { kind: 'back-off', reason: `421: ${replyText(baseline.reply)}` };
    if (baseline.kind === 'failed') return { kind: 'abort', reason: `${baseline.status}: ${baseline.detail}` };
    if (baseline.kind === 'accepted') return { kind: 'abort', reason: 'a made-up user is let in: a pair proves nothing here' };

    const result = await login(ctx, credential);
    switch (result.kind) {
      case 'accepted':
        return {
          kind: 'success',
          evidence: evidenceText(`230 after ${result.step} (${replyText(result.reply)}) where a made-up user got ${baseline.reply.code}; QUIT at once`, credential),
        };
      case 'refused':
        return LOCKOUT_TEXT.test(replyText(result.reply)) ? { kind: 'back-off', reason: evidenceText(`${result.reply.code}: ${replyText(result.reply)}`, credential, 160) } : { kind: 'rejected' };
      case 'busy':
        return { kind: 'back-off', reason: evidenceText(`421: ${replyText(result.reply)}`, credential, 160) };
      case 'failed':
        return { kind: 'abort', reason: `${result.status}: ${result.detail}` };
    }
  },
};
