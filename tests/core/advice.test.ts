import { describe, expect, it } from 'vitest';
import { adviceBeyondTheScan } from '../../src/core/advice.js';
import { reduceAll } from '../../src/core/reduce.js';
import { loadSignatures } from '../../src/signatures/load.js';
import { SCRIPTED_EVENTS } from '../report/fixtures/scan-events.js';

const pack = loadSignatures();

describe('advice beyond the scan', () => {
  const advice = adviceBeyondTheScan(reduceAll(SCRIPTED_EVENTS).hosts, pack.practices.values());

  it('lists every advice row of the catalogue and no check', () => {
    const adviceRows = [...pack.practices.values()].filter((p) => p.kind === 'advice').map((p) => p.id).sort();
    expect(advice.map((item) => item.check)).toEqual(adviceRows);
    expect(adviceRows).toContain('wan-admin-reachable');
    expect(advice.map((item) => item.check)).not.toContain('telnet-open');
  });

  it('names the devices a piece of advice concerns, with the firmware to compare', () => {
    const stale = advice.find((item) => item.check === 'firmware-stale');
    expect(stale?.devices).toEqual(['ExampleVendor EC-100 (camera), firmware 2.1']);
    // No router in this scan: the advice still stands, for the home as a whole.
    expect(advice.find((item) => item.check === 'wan-admin-reachable')?.devices).toEqual([]);
  });

  it('carries the words a household acts on', () => {
    for (const item of advice) {
      expect(item.title.length).toBeGreaterThan(0);
      expect(item.remedy.length).toBeGreaterThan(20);
      expect(item.provisions.length).toBeGreaterThan(0);
    }
  });
});
