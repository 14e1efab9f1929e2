// Reads signatures/ from disk (the I/O edge of the signature layer) and hashes it.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { SignatureError } from '../core/match.js';
import { compilePack, type SignatureFile, type SignaturePack } from './compile.js';

/** Finds the project's signatures/ folder from this module's location (works from src/ and dist/). */
export function defaultSignaturesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'signatures');
    if (existsSync(join(candidate, 'pack.yaml'))) return candidate;
    dir = dirname(dir);
  }
  throw new SignatureError('cannot find the signatures folder (pack.yaml)', 'signatures');
}

function listYaml(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

export function readSignatureFiles(dir: string): { files: SignatureFile[]; hash: string } {
  const hash = createHash('sha256');
  const files = listYaml(dir).map((absolute) => {
    const path = relative(dir, absolute).split('\\').join('/');
    const text = readFileSync(absolute, 'utf8');
    hash.update(path).update('\0').update(text).update('\0');
    try {
      return { path, data: parseYaml(text, { maxAliasCount: 0 }) as unknown };
    } catch (error) {
      throw new SignatureError(`not valid YAML: ${(error as Error).message.split('\n')[0] ?? ''}`, path, { cause: error });
    }
  });
  return { files, hash: `sha256:${hash.digest('hex')}` };
}

export function loadSignatures(dir: string = defaultSignaturesDir()): SignaturePack {
  const { files, hash } = readSignatureFiles(dir);
  return compilePack(files, hash);
}
