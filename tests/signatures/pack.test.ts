import { describe, expect, it } from 'vitest';
import { loadSignatures } from '../../src/signatures/load.js';
import { lintPack } from '../../src/signatures/lint.js';
import { declaredFields } from '../../src/engine/fields.js';
import { JUDGED_CHECKS } from '../../src/core/judge.js';

describe('the signature pack', () => {
  const pack = loadSignatures();

  it('loads, with a pack version and content hash', () => {
    expect(pack.info.packVersion).toMatch(/^\d{4}\.\d{2}\.\d{2}/);
    expect(pack.info.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('passes the lint: fields declared by probes, references resolve, every example holds', () => {
    expect(lintPack(pack, { declaredFields: declaredFields(), judgedChecks: JUDGED_CHECKS })).toEqual([]);
  });

  it('holds the whole practice catalogue', () => {
    expect(pack.practices.size).toBeGreaterThanOrEqual(40);
  });
});
