import { describe, expect, it } from 'vitest';
import { fieldsFromRecord, withFields } from '../../src/core/fields.js';
import { compileExtractor, compileMatcher, fillTemplate, SignatureError, type MatcherSpec } from '../../src/core/match.js';

const camera = withFields(fieldsFromRecord({ 'upnp.manufacturer': 'ExampleVendor Ltd', 'mdns.service': '_http._tcp', 'ssdp.server': 'ExampleOS/2.1 UPnP/1.0' }), {
  'mdns.service': '_axis-video._tcp',
});

describe('matcher language', () => {
  it.each<[string, MatcherSpec, boolean]>([
    ['glob, case-insensitive', { field: 'upnp.manufacturer', glob: 'examplevendor*' }, true],
    ['glob, case-sensitive', { field: 'upnp.manufacturer', glob: 'examplevendor*', caseSensitive: true }, false],
    ['equals', { field: 'mdns.service', equals: '_axis-video._tcp' }, true],
    ['any value of a repeated field', { field: 'mdns.service', equals: '_http._tcp' }, true],
    ['regex', { field: 'ssdp.server', regex: 'ExampleOS/\\d' }, true],
    ['word', { field: 'ssdp.server', word: 'UPnP' }, true],
    ['word inside a longer word', { field: 'ssdp.server', word: 'Example' }, false],
    ['missing field', { field: 'http.title', glob: '*' }, false],
    ['all', { all: [{ field: 'mdns.service', equals: '_http._tcp' }, { field: 'upnp.manufacturer', glob: 'Example*' }] }, true],
    ['all with one failing', { all: [{ field: 'mdns.service', equals: '_http._tcp' }, { field: 'http.title', glob: '*' }] }, false],
    ['any', { any: [{ field: 'http.title', glob: '*' }, { field: 'mdns.service', equals: '_http._tcp' }] }, true],
    ['not', { not: { field: 'http.title', glob: '*' } }, true],
  ])('%s', (_, spec, expected) => {
    expect(compileMatcher(spec, 'test')(camera).matched).toBe(expected);
  });

  it('keeps the fields that made a match as evidence', () => {
    const result = compileMatcher({ all: [{ field: 'mdns.service', equals: '_axis-video._tcp' }, { field: 'upnp.manufacturer', glob: 'Example*' }] }, 'test')(camera);
    expect(result.evidence).toEqual({ 'mdns.service': '_axis-video._tcp', 'upnp.manufacturer': 'ExampleVendor Ltd' });
  });

  it('rejects a regex that does not compile, naming the file', () => {
    expect(() => compileMatcher({ field: 'x', regex: '(' }, 'fingerprints/bad.yaml')).toThrow(SignatureError);
    expect(() => compileMatcher({ field: 'x', regex: '(' }, 'fingerprints/bad.yaml')).toThrow(/fingerprints\/bad.yaml/);
  });

  it('extracts the named group v, or the whole value', () => {
    expect(compileExtractor({ field: 'ssdp.server', regex: 'ExampleOS/(?<v>[\\d.]+)' }, 't')(camera)).toBe('2.1');
    expect(compileExtractor({ field: 'upnp.manufacturer' }, 't')(camera)).toBe('ExampleVendor Ltd');
    expect(compileExtractor({ field: 'http.title' }, 't')(camera)).toBeUndefined();
  });

  it('fills CPE templates, "*" for what is unknown', () => {
    expect(fillTemplate('cpe:2.3:a:matt_johnston:dropbear_ssh_server:{version}', { version: '2014.63' })).toBe('cpe:2.3:a:matt_johnston:dropbear_ssh_server:2014.63');
    expect(fillTemplate('cpe:2.3:h:axis:{model}:-', { model: undefined })).toBe('cpe:2.3:h:axis:*:-');
  });
});
