// Login attempts a lab device received, per service, kept in a small JSON file so tests running in
// another process can check that the scanner's credential budgets hold.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AttemptCounter } from './device.js';
import { LAB_NAME } from './name.js';

/** Pid files, logs and attempt counts of the running lab. */
export const LAB_STATE_DIR = `/run/iotscan-${LAB_NAME}`;

function attemptsPath(deviceId: string): string {
  return join(LAB_STATE_DIR, `${deviceId}.attempts.json`);
}

export class FileAttemptCounter implements AttemptCounter {
  private readonly counts: Record<string, number> = {};

  constructor(private readonly deviceId: string) {
    mkdirSync(LAB_STATE_DIR, { recursive: true });
    this.write();
  }

  record(service: string): void {
    this.counts[service] = (this.counts[service] ?? 0) + 1;
    this.write();
  }

  private write(): void {
    // Write then rename, so a reader never sees half a file.
    const path = attemptsPath(this.deviceId);
    const temporary = `${path}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(this.counts)}\n`);
    renameSync(temporary, path);
  }
}

/** The counts a device has recorded so far; empty when it recorded none or is not running. */
export function readAttempts(deviceId: string): Record<string, number> {
  let text: string;
  try {
    text = readFileSync(attemptsPath(deviceId), 'utf8');
  } catch {
    return {};
  }
  const parsed: unknown = JSON.parse(text);
  const counts: Record<string, number> = {};
  if (parsed && typeof parsed === 'object') {
    for (const [service, count] of Object.entries(parsed)) {
      if (typeof count === 'number') counts[service] = count;
    }
  }
  return counts;
}
