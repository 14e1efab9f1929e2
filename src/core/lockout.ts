// Reading a run of deliberately wrong logins (the opt-in no-bruteforce-protection test): did the
// device ever slow down, refuse or ask the client to back off? Pure.

export interface WrongLogin {
  outcome: 'rejected' | 'back-off' | 'abort' | 'success';
  /** How long the device took to answer this attempt. */
  ms: number;
}

export type LockoutReading =
  | { result: 'none-seen'; detail: string }
  | { result: 'backed-off' | 'refused' | 'slowed' | 'inconclusive'; detail: string };

/** An answer this much slower than the first ones is a deliberate delay, not network noise. */
const DELAY_SIGN_MS = 1000;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

export function readLockoutRun(run: readonly WrongLogin[]): LockoutReading {
  const backedOff = run.findIndex((login) => login.outcome === 'back-off');
  if (backedOff >= 0) return { result: 'backed-off', detail: `asked to back off after ${backedOff} wrong logins` };
  const refused = run.findIndex((login) => login.outcome === 'abort');
  // A device that stops answering part-way has locked the client out; one that never answered proves nothing.
  if (refused > 0) return { result: 'refused', detail: `stopped answering after ${refused} wrong logins` };
  if (refused === 0 || run.some((login) => login.outcome === 'success') || run.length < 2) {
    return { result: 'inconclusive', detail: 'the device did not answer the wrong logins as wrong logins' };
  }
  const third = Math.max(1, Math.floor(run.length / 3));
  const early = median(run.slice(0, third).map((login) => login.ms));
  const late = median(run.slice(-third).map((login) => login.ms));
  if (late - early >= DELAY_SIGN_MS) return { result: 'slowed', detail: `answers slowed from ${early} ms to ${late} ms` };
  return { result: 'none-seen', detail: `${run.length} wrong logins in a row were all refused at the same speed (${early} ms, then ${late} ms), with no delay or lockout` };
}
