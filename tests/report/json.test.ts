import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { initialScanState, reduceAll } from '../../src/core/reduce.js';
import { NoRunError, OUTPUT_SCHEMA_VERSION, toScanDocument } from '../../src/report/json.js';
import { CAMERA, RUN, SCRIPTED_EVENTS } from './fixtures/scan-events.js';
import { validate } from './mini-schema.js';
import { loadSignatures } from '../../src/signatures/load.js';

const schema = JSON.parse(readFileSync(new URL('../../docs/output.schema.json', import.meta.url), 'utf8')) as Record<string, unknown>;

describe('toScanDocument', () => {
  const document = toScanDocument(reduceAll(SCRIPTED_EVENTS));

  it('validates against docs/output.schema.json', () => {
    expect(validate(schema, document)).toEqual([]);
    expect(validate(schema, toScanDocument(reduceAll(SCRIPTED_EVENTS), loadSignatures()))).toEqual([]);
    expect(JSON.parse(JSON.stringify(document))).toEqual(document);
  });

  it('declares the schema version the schema file pins', () => {
    expect(document.schemaVersion).toBe(OUTPUT_SCHEMA_VERSION);
    expect((schema.properties as Record<string, { const: number }>)['schemaVersion']?.const).toBe(OUTPUT_SCHEMA_VERSION);
  });

  it('describes the run', () => {
    expect(document.run).toEqual({
      id: RUN.id,
      startedAt: RUN.startedAt,
      finishedAt: '2025-01-02T10:01:00.000Z',
      status: 'completed',
      targets: RUN.targets,
      profile: 'safe',
      toolVersion: '0.1.0',
      signatures: { schemaVersion: 1, packVersion: '2025.01.0', hash: 'sha256:abc123' },
    });
    expect(document.summary).toEqual({ hosts: 2, findings: { info: 0, low: 0, medium: 1, high: 0, critical: 1 } });
  });

  it('keeps an unidentified host under an ip: id with nulls for what is unknown', () => {
    const bare = document.hosts[0]!;
    expect(bare).toEqual({
      id: 'ip:192.168.50.9',
      deviceId: null,
      label: null,
      keys: [],
      addresses: ['192.168.50.9'],
      mac: null,
      macRandomised: null,
      vendor: null,
      names: [],
      identity: { vendor: null, model: null, type: null, firmware: null, cpe: null, signals: [] },
      services: [{ transport: 'tcp', port: 22, name: 'ssh', product: null, version: null, cpe: null, banner: null }],
      findings: [],
      verdict: { level: 'fine', headline: 'Nothing to do: no problems found from the network.', reasons: [] },
      plannedLogins: [],
    });
  });

  it('gives the camera with a default telnet login an act-now verdict and the home a grade', () => {
    const camera = document.hosts[1]!;
    expect(camera.verdict.level).toBe('act-now');
    expect(camera.verdict.reasons[0]).toBe('A published default password is accepted');
    expect(document.home).toMatchObject({ grade: 'D', level: 'act-now', devices: { 'act-now': 1, fine: 1 } });
    expect(document.home.reasons[0]).toBe('A published default password is accepted (1 device)');
  });

  it('carries the identified host, its services and findings', () => {
    const camera = document.hosts[1]!;
    expect(camera.id).toBe(CAMERA.id);
    expect(camera.identity.model).toBe('EC-100');
    expect(camera.services.map((s) => [s.port, s.product])).toEqual([[23, null], [80, 'lighttpd']]);
    const credential = camera.findings.find((f) => f.check === 'default-credentials');
    expect(credential).toMatchObject({ severity: 'critical', signature: 'examplevendor-telnet#1', confidenceReason: null, port: 23 });
    expect(credential?.practices).toEqual({ en303645: ['5.1-1'], is3c: 'authentication', owasp: ['I1'] });
  });

  it('marks a running scan with a null finishedAt, still valid', () => {
    const running = toScanDocument(reduceAll(SCRIPTED_EVENTS.slice(0, 5)));
    expect(running.run.finishedAt).toBeNull();
    expect(running.run.status).toBe('running');
    expect(validate(schema, running)).toEqual([]);
  });

  it('refuses a state with no run', () => {
    expect(() => toScanDocument(initialScanState())).toThrow(NoRunError);
  });
});

/** The parts of a document the spoilers below reach into, loosely typed on purpose. */
interface Spoilable {
  schemaVersion: unknown;
  summary: { hosts: unknown };
  hosts: { mac?: unknown; password?: unknown; services: { port: unknown }[]; findings: { severity: unknown }[] }[];
}

describe('the schema validator used above', () => {
  const document = toScanDocument(reduceAll(SCRIPTED_EVENTS));

  it.each<[string, (doc: Spoilable) => void, RegExp]>([
    ['a missing key', (doc) => delete doc.hosts[1]!.mac, /missing mac/],
    ['an extra key', (doc) => (doc.hosts[1]!.password = 'x'), /unexpected key password/],
    ['a wrong type', (doc) => (doc.summary.hosts = '2'), /expected integer/],
    ['an unknown severity', (doc) => (doc.hosts[1]!.findings[0]!.severity = 'severe'), /not in enum/],
    ['a bad port', (doc) => (doc.hosts[1]!.services[0]!.port = 70000), /above maximum/],
    ['a wrong schemaVersion', (doc) => (doc.schemaVersion = 1), /expected 3/],
  ])('catches %s', (_name, spoil, message) => {
    const spoiled = structuredClone(document) as unknown as Spoilable;
    spoil(spoiled);
    expect(validate(schema, spoiled).join('\n')).toMatch(message);
  });
});
