import { describe, expect, it } from 'vitest';
import { fieldsFromRecord } from '../../src/core/fields.js';
import { MAX_ATTEMPTS_PER_SERVICE, planCredentialAttempts } from '../../src/core/plan.js';
import type { CredentialSetSpec } from '../../src/signatures/schema.js';

const set = (id: string, appliesTo: CredentialSetSpec['appliesTo'], pairs: [string, string][]): CredentialSetSpec => ({
  schemaVersion: 1,
  id,
  references: ['test'],
  protocol: 'http',
  strategy: 'basic-auth',
  appliesTo,
  check: 'default-cred-accepted',
  pairs: pairs.map(([username, password]) => ({ username, password, source: 'test source' })),
});

const vendor = set('vendor-http', { fingerprints: ['vendor-camera'] }, [['root', 'pass'], ['admin', 'admin']]);
const generic = set('generic-http', { generic: true }, [['admin', 'admin'], ['admin', '1234'], ['user', 'user'], ['a', 'b'], ['c', 'd'], ['e', 'f'], ['g', 'h'], ['i', 'j'], ['k', 'l'], ['m', 'n'], ['o', 'p']]);
const basic = fieldsFromRecord({ 'http.auth-scheme': 'basic' });

describe('credential plan', () => {
  it('tries the identified vendor pairs first, then generic ones, without repeats, within budget', () => {
    const plan = planCredentialAttempts([generic, vendor], 'http', new Set(['vendor-camera']), basic, 3);
    expect(plan.map((a) => `${a.username}/${a.password}`)).toEqual(['root/pass', 'admin/admin', 'admin/1234']);
  });

  it('tries vendor pairs only on the device they are published for', () => {
    const plan = planCredentialAttempts([vendor], 'http', new Set(['other-device']), basic, 3);
    expect(plan).toEqual([]);
  });

  it('tries generic pairs only where the service itself asks for that login', () => {
    expect(planCredentialAttempts([generic], 'http', new Set(), fieldsFromRecord({ 'http.status': '200' }), 3)).toEqual([]);
  });

  it('never goes above the hard cap, whatever is asked', () => {
    expect(planCredentialAttempts([generic], 'http', new Set(), basic, 1000)).toHaveLength(MAX_ATTEMPTS_PER_SERVICE);
  });

  it('keeps to the protocol', () => {
    expect(planCredentialAttempts([vendor], 'telnet', new Set(['vendor-camera']), basic, 3)).toEqual([]);
  });
});
