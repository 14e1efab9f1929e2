// Issue 4's promise, kept by the lab's truth: every check of the catalogue that a scan from inside
// a home can make has a lab device that triggers it and a lab device that must not report it. A
// negative is declared where it means something (the device runs the service the check is about,
// or is the hardened box); the end-to-end test then asserts both sides. No namespace needed.
import { describe, expect, it } from 'vitest';
import { JUDGED_CHECKS } from '../../src/core/judge.js';
import { LAB_DEVICES } from '../../src/lab/registry.js';
import { loadSignatures } from '../../src/signatures/load.js';

/** Checks whose lab trigger lives outside the devices' truth, and where. */
const TRIGGERED_ELSEWHERE: Record<string, string> = {
  // Opt-in: it sends ten wrong logins, so the end-to-end scan does not ask for it.
  'no-bruteforce-protection': 'tests/lab/lockout.test.ts: the camera and the broker',
  // No lab device is anonymous on purpose; the crowd's hosts are.
  'device-unidentified': 'tests/lab/scan-e2e.test.ts: the crowd hosts',
};
/** Checks whose lab negative lives outside the devices' truth, and where. */
const REFUSED_ELSEWHERE: Record<string, string> = {
  'no-bruteforce-protection': "tests/lab/lockout.test.ts: the Pi's SSH, which bans",
};

const pack = loadSignatures();
const lanChecks = [...pack.practices.values()].filter((practice) => practice.kind === 'check').map((practice) => practice.id);
const triggeredBy = (check: string) => LAB_DEVICES.filter(({ spec }) => spec.expectedFindings.some((finding) => finding.check === check)).map(({ spec }) => spec.id);
const refusedBy = (check: string) => LAB_DEVICES.filter(({ spec }) => (spec.mustNotReport ?? []).includes(check)).map(({ spec }) => spec.id);

describe('lab coverage of the catalogue', () => {
  it('judges every check of the catalogue that can be made from inside a home', () => {
    expect(JUDGED_CHECKS).toEqual(expect.arrayContaining(lanChecks));
  });

  it.each(lanChecks.map((check) => [check]))('%s has a lab device that triggers it and one that must not', (check) => {
    if (!(check in TRIGGERED_ELSEWHERE)) expect(triggeredBy(check), `no lab device declares ${check}`).not.toEqual([]);
    if (!(check in REFUSED_ELSEWHERE)) expect(refusedBy(check), `no lab device must not report ${check}`).not.toEqual([]);
  });
});
