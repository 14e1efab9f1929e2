import { describe, expect, it } from 'vitest';
import { reduceAll, reduceScan } from '../../src/core/reduce.js';
import { renderText } from '../../src/report/text.js';
import { findingsInWords } from '../../src/report/words.js';
import { SCRIPTED_EVENTS } from './fixtures/scan-events.js';
import { loadSignatures } from '../../src/signatures/load.js';

describe('renderText', () => {
  const text = renderText(reduceAll(SCRIPTED_EVENTS));
  const lines = text.split('\n');

  it('gives each device one line starting at column 0, in address order', () => {
    const hostLines = lines.filter((line) => /^\d+\.\d+\.\d+\.\d+ /.test(line));
    expect(hostLines).toEqual([
      '192.168.50.9  -  unknown device  1 open port  no findings',
      '192.168.50.10  00:11:22:33:44:55  ExampleVendor EC-100 (camera)  2 open ports  worst critical',
    ]);
  });

  it('indents services and findings with severity, summary and remedy', () => {
    expect(lines).toContain('  tcp/80 http lighttpd 1.4.35');
    expect(lines).toContain('  [critical] Telnet accepts the factory login on tcp/23 (high confidence)');
    expect(lines).toContain('      what to do: Set your own password in the camera app and turn telnet off.');
    expect(lines).toContain('      practices: EN 303 645 5.1-1; IS3C authentication; OWASP I1');
    expect(text).toContain('(medium confidence: version read from a banner)');
  });

  it('ends with a plain summary and lists warnings', () => {
    expect(lines).toContain('  neighbour table unreadable');
    expect(lines.at(-2)).toBe('2 devices, 2 findings (1 critical, 1 medium).');
  });

  it('has no escape sequences unless colour is asked for', () => {
    expect(text).not.toContain('\u001b');
    expect(renderText(reduceAll(SCRIPTED_EVENTS), { color: true })).toContain('\u001b[1;35m[critical]\u001b[0m');
  });

  it('strips terminal controls that came from the network', () => {
    const state = reduceScan(reduceAll(SCRIPTED_EVENTS), {
      type: 'service-found',
      address: '192.168.50.9',
      service: { transport: 'tcp', port: 21, name: 'ftp', product: 'evil\u001b]0;pwned\u0007\u001b[2Jftpd\r\nx' },
    });
    const rendered = renderText(state);
    const controls = [...rendered].filter((char) => {
      const code = char.charCodeAt(0);
      return (code < 0x20 && char !== '\n') || (code >= 0x7f && code <= 0x9f);
    });
    expect(controls).toEqual([]);
    expect(rendered).toContain('  tcp/21 ftp evilftpd x');
  });

  it('words counts plainly', () => {
    expect(findingsInWords({ info: 0, low: 0, medium: 0, high: 0, critical: 0 })).toBe('no findings');
    expect(findingsInWords({ info: 1, low: 0, medium: 0, high: 0, critical: 0 })).toBe('1 finding (1 info)');
  });

  it('ends with the advice a scan from inside cannot check, then the questions for vendors', () => {
    const full = renderText(reduceAll(SCRIPTED_EVENTS), { knowledge: loadSignatures() }).split('\n');
    const adviceAt = full.indexOf('what this scan cannot check from inside your home: check it yourself');
    const questionsAt = full.indexOf('what no scan can see: ask your vendors');
    expect(adviceAt).toBeGreaterThan(0);
    expect(questionsAt).toBeGreaterThan(adviceAt);
    expect(full.slice(adviceAt, questionsAt).join('\n')).toMatch(/Router management may be reachable from the Internet\n {6}why: .+\n {6}what to do: .+/);
  });
});
