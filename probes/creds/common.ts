// Small pieces every credential driver shares: lockout wording, evidence that never carries the
// password, throwaway names for wrong-pair baselines, and a cache that keeps those baselines.
import { randomBytes } from 'node:crypto';
import type { Failure } from '../../src/engine/net.js';
import type { Credential, LoginRequirement } from '../../src/engine/probe.js';
import { printable } from '../../src/core/sanitize.js';

/** Words devices use when they stop accepting logins for a while. */
export const LOCKOUT_TEXT = /locked|too many|try again later|temporarily (?:disabled|blocked|unavailable)/i;

/** Printable evidence with every occurrence of the password masked (before and after cleaning). */
export function evidenceText(text: string, credential: Credential, maxLength = 240): string {
  const mask = (value: string): string => (credential.password === '' ? value : value.split(credential.password).join('***'));
  return mask(printable(mask(text), maxLength));
}

/** A name no device ships with, for the wrong-pair baseline: `iotscan-` and 8 random hex digits. */
export function throwawayName(): string {
  return `iotscan-${randomBytes(4).toString('hex')}`;
}

/** Pairs with a line break would split a line-based command (FTP) or header in two. */
export function hasLineBreak(credential: Credential): boolean {
  return /[\r\n]/.test(credential.username) || /[\r\n]/.test(credential.password);
}

export function unreachable(failure: Pick<Failure, 'status' | 'detail'>): LoginRequirement {
  const requirement: LoginRequirement = { kind: 'unreachable', status: failure.status };
  if (failure.detail !== undefined) requirement.detail = failure.detail;
  return requirement;
}

const BASELINE_TTL_MS = 10 * 60_000;
const MAX_BASELINES = 1024;

/**
 * What a service said to a pair that cannot be right, kept per service so that a scan's login
 * attempts compare against it without sending one more wrong login each time (every wrong login
 * brings a device's lockout closer). `requiresLogin` measures it afresh before the engine's
 * attempts; an attempt without a recent one measures it first.
 */
export class Baselines<T> {
  private readonly entries = new Map<string, { value: T; at: number }>();

  remember(key: string, value: T, now = Date.now()): void {
    this.entries.delete(key);
    this.entries.set(key, { value, at: now });
    // Map keeps insertion order: the first key is the oldest.
    while (this.entries.size > MAX_BASELINES) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
  }

  recall(key: string, now = Date.now()): T | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (now - entry.at > BASELINE_TTL_MS) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }
}
