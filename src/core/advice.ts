// What a scan from inside the home cannot check (the catalogue's `advice` rows: reachability from
// the Internet, update transport, vendor release dates), said as advice with the devices it
// concerns, never as a guessed finding. Pure.
import type { Practice } from './model.js';
import type { HostView } from './reduce.js';
import { deviceDescription } from './reduce.js';
import { printable } from './sanitize.js';

export interface AdviceItem {
  check: string;
  title: string;
  why: string;
  remedy: string;
  provisions: string[];
  /** The devices of this scan it concerns, described; empty when it concerns the home as a whole. */
  devices: string[];
}

export interface AdvicePractice extends Practice {
  kind: 'check' | 'informational' | 'advice';
}

/** Which devices each piece of advice concerns; an advice row not listed here concerns the home. */
const CONCERNS: Readonly<Record<string, { concerns: (view: HostView) => boolean; describe?: (view: HostView) => string }>> = {
  // Routers and mesh nodes are what answer on the Internet side.
  'wan-admin-reachable': { concerns: (view) => ['router', 'mesh'].includes(view.host?.identity.type ?? '') },
  // A firmware version seen is one the household can compare with the vendor's latest release.
  'firmware-stale': {
    concerns: (view) => view.host?.identity.firmware !== undefined,
    describe: (view) => `${described(view)}, firmware ${printable(view.host?.identity.firmware ?? '')}`,
  },
};

function described(view: HostView): string {
  return deviceDescription(view) ?? printable(view.address);
}

export function adviceBeyondTheScan(hosts: readonly HostView[], practices: Iterable<AdvicePractice>): AdviceItem[] {
  const items: AdviceItem[] = [];
  for (const practice of practices) {
    if (practice.kind !== 'advice') continue;
    const concern = CONCERNS[practice.id];
    const devices = concern === undefined ? [] : hosts.filter(concern.concerns).map(concern.describe ?? described);
    items.push({ check: practice.id, title: practice.title, why: practice.why, remedy: practice.remedy, provisions: [...practice.en303645], devices });
  }
  return items.sort((a, b) => a.check.localeCompare(b.check));
}
