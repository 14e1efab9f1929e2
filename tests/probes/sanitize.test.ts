import { describe, expect, it } from 'vitest';
import { decodeLatin1Safe, decodeTextSafe, escapeBytes, printable } from '../../src/core/sanitize.js';

describe('printable', () => {
  it.each([
    ['plain', 'SSH-2.0-OpenSSH_9.2p1', 'SSH-2.0-OpenSSH_9.2p1'],
    ['CSI colour codes', '\u001b[1mIPCam\u001b[0m login:', 'IPCam login:'],
    ['screen clear and cursor moves', 'a\u001b[2J\u001b[H\u001b[10;20Hb', 'ab'],
    ['OSC title change with BEL', 'x\u001b]0;pwned\u0007y', 'xy'],
    ['OSC with ST', 'x\u001b]8;;http://evil\u001b\\y', 'xy'],
    ['C1 CSI', 'x\u009b31my', 'xy'],
    ['tabs and line breaks become spaces', 'a\tb\r\nc', 'a b c'],
    ['NUL, BEL, DEL, C1', 'a\u0000b\u0007c\u007fd\u0085e', 'abcde'],
    ['bidi override', 'abc\u202Etxt.exe', 'abctxt.exe'],
    ['trim', '  hi  ', 'hi'],
    ['unicode kept', 'Küche 🎵', 'Küche 🎵'],
  ])('%s', (_name, input, expected) => {
    expect(printable(input)).toBe(expected);
  });

  it('caps the length with an ellipsis', () => {
    const capped = printable('x'.repeat(600), 10);
    expect(capped).toHaveLength(10);
    expect(capped.endsWith('…')).toBe(true);
  });

  it('survives garbage', () => {
    const garbage = String.fromCharCode(...Array.from({ length: 2000 }, (_, index) => (index * 7919) % 0x3000));
    // eslint-disable-next-line no-control-regex
    expect(printable(garbage, 4000)).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
  });
});

describe('byte decoding', () => {
  it('latin1 keeps every byte as a character but strips controls', () => {
    expect(decodeLatin1Safe(Uint8Array.from([0x41, 0xe9, 0x1b, 0x5b, 0x32, 0x4a, 0x42]), 100)).toBe('AéB');
  });

  it('decodeTextSafe prefers UTF-8 and falls back to latin1', () => {
    expect(decodeTextSafe(new TextEncoder().encode('Küche'), 100)).toBe('Küche');
    expect(decodeTextSafe(Uint8Array.from([0x4b, 0xfc, 0x63, 0x68, 0x65]), 100)).toBe('Küche');
  });

  it('escapeBytes shows binary as \\xNN and keeps clean UTF-8', () => {
    expect(escapeBytes(new TextEncoder().encode('model=Ä1'))).toBe('model=Ä1');
    expect(escapeBytes(Uint8Array.from([0x00, 0x01, 0xff, 0x41, 0x5c]))).toBe('\\x00\\x01\\xffA\\\\');
    expect(escapeBytes(Uint8Array.from([0x61, 0x1b, 0x62]))).toBe('a\\x1bb');
  });
});

describe('printable length cap', () => {
  it('never splits a surrogate pair', () => {
    expect(printable('ab🎵🎵🎵', 4)).toBe('ab…');
    expect(printable('ab🎵🎵🎵', 5)).toBe('ab🎵…');
  });
});
