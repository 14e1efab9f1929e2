import { describe, expect, it } from 'vitest';
import { finishDraft, type HostEvidence } from '../../src/core/judge.js';
import { onvifUnauth } from '../../src/core/judge-onvif.js';
import type { Observation } from '../../src/core/model.js';
import { loadSignatures } from '../../src/signatures/load.js';

const pack = loadSignatures();
let next = 0;
const observation = (fields: Record<string, string>, port = 80): Observation => ({
  id: `o${++next}`,
  address: '192.168.1.9',
  probe: 'onvif',
  port,
  transport: 'tcp',
  fields,
});

function judge(observations: Observation[]) {
  const host: HostEvidence = { address: '192.168.1.9', observations, services: [], identity: { signals: [], type: 'camera' }, judgedAt: '2026-11-21T12:00:00Z' };
  return onvifUnauth(host, pack).map((draft) => finishDraft(draft, pack));
}

describe('onvif-unauth', () => {
  it('reports a device service that answered GetDeviceInformation without credentials: medium, high confidence', () => {
    const findings = judge([
      observation({
        'onvif.auth': 'open',
        'onvif.path': '/onvif/device_service',
        'onvif.manufacturer': 'Hipcam',
        'onvif.model': 'C6F0SgZ3N0PfL2',
        'onvif.firmware': 'V9.1.4.1.16-20170407',
        'onvif.serial': 'ZZ00000001',
        'onvif.hardware-id': 'C6F0',
      }),
    ]);
    expect(findings).toHaveLength(1);
    const finding = findings[0];
    expect(finding).toMatchObject({ check: 'onvif-unauth', severity: 'medium', confidence: 'high', port: 80, transport: 'tcp' });
    expect(finding?.evidence.facts).toEqual({
      manufacturer: 'Hipcam',
      model: 'C6F0SgZ3N0PfL2',
      firmware: 'V9.1.4.1.16-20170407',
      'also gave out': 'serial number, hardware id',
      service: '/onvif/device_service',
    });
    // The identifiers themselves stay in the observation, not in the finding's words.
    expect(JSON.stringify(finding)).not.toContain('ZZ00000001');
    expect(finding?.summary).toMatch(/^ONVIF, the control interface recording software uses, answers on port 80 without a password: anyone on your network can ask the camera/);
    expect(finding?.summary).toContain('Hipcam C6F0SgZ3N0PfL2 with firmware V9.1.4.1.16-20170407');
    expect(finding?.practices.en303645).toContain('5.5-4');
    expect(finding?.remedy).toMatch(/ONVIF/);
  });

  it('words an answer that named nothing without inventing a product', () => {
    const [finding] = judge([observation({ 'onvif.auth': 'open', 'onvif.path': '/onvif/device_service' }, 8080)]);
    expect(finding?.port).toBe(8080);
    expect(finding?.summary).not.toContain('told us');
    expect(finding?.evidence.facts).toEqual({ service: '/onvif/device_service' });
  });

  it('reports nothing when the service asked for a login, and nothing without an ONVIF answer', () => {
    expect(judge([observation({ 'onvif.auth': 'required', 'onvif.path': '/onvif/device_service' })])).toEqual([]);
    expect(judge([observation({ 'http.status': '200' })])).toEqual([]);
  });
});
