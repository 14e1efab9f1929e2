// The parsed-signature cache: same files as the YAML gives, keyed by the text, and a broken cache is ignored.
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultSignatureCacheDir, defaultSignaturesDir, readSignatureFiles } from '../../src/signatures/load.js';

const made: string[] = [];
const scratch = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'iotscan-sigcache-'));
  made.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('the signature cache', () => {
  it('gives the files the YAML gives, from one cache file named by the hash', () => {
    const cacheDir = scratch();
    const parsed = readSignatureFiles(defaultSignaturesDir());
    const first = readSignatureFiles(defaultSignaturesDir(), { cacheDir });
    const [cacheFile, ...others] = readdirSync(cacheDir);
    expect(others).toEqual([]);
    expect(cacheFile).toBe(`signatures-${parsed.hash.slice('sha256:'.length)}.json`);
    const second = readSignatureFiles(defaultSignaturesDir(), { cacheDir });
    expect(first).toEqual(parsed);
    expect(second).toEqual(parsed);
  });

  it('reads an edited file from its YAML, under a new hash', () => {
    const signatures = join(scratch(), 'signatures');
    cpSync(defaultSignaturesDir(), signatures, { recursive: true });
    const cacheDir = scratch();
    const before = readSignatureFiles(signatures, { cacheDir });
    appendFileSync(join(signatures, 'pack.yaml'), '\n# edited\n');
    const after = readSignatureFiles(signatures, { cacheDir });
    expect(after.hash).not.toBe(before.hash);
    expect(readdirSync(cacheDir)).toHaveLength(2);
  });

  it('ignores a damaged cache file and parses the YAML', () => {
    const cacheDir = scratch();
    const parsed = readSignatureFiles(defaultSignaturesDir(), { cacheDir });
    const [cacheFile = ''] = readdirSync(cacheDir);
    writeFileSync(join(cacheDir, cacheFile), '[{"path": 1}');
    expect(readSignatureFiles(defaultSignaturesDir(), { cacheDir })).toEqual(parsed);
  });

  it('lives under XDG_CACHE_HOME when it is absolute, else ~/.cache', () => {
    expect(defaultSignatureCacheDir({ XDG_CACHE_HOME: '/var/cache/me', HOME: '/home/me' })).toBe('/var/cache/me/iotscan');
    expect(defaultSignatureCacheDir({ XDG_CACHE_HOME: 'relative', HOME: '/home/me' })).toBe('/home/me/.cache/iotscan');
  });
});
