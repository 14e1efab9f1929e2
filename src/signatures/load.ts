// Reads signatures/ from disk (the I/O edge of the signature layer) and hashes it.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { SignatureError } from '../core/match.js';
import { compilePack, type SignatureFile, type SignaturePack } from './compile.js';
import { importedVersionRules, type ImportedSet } from './imported.js';
import { vulnerabilityProductsSchema } from './schema.js';
import { compileProductMap, type ProductMap } from './vuln-records.js';

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

/** Where parsed signature files are kept between runs: $XDG_CACHE_HOME/iotscan (XDG base directory spec). */
export function defaultSignatureCacheDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const xdg = env['XDG_CACHE_HOME'];
  return join(xdg && isAbsolute(xdg) ? xdg : join(env['HOME'] || homedir(), '.cache'), 'iotscan');
}

/**
 * Reads and parses every signature file. With `cacheDir`, the parsed files are kept there as JSON
 * under the hash of all their text, so a later run with the same files skips the YAML parser
 * (half a second or more of every start); any edit changes the hash. A cache that cannot be read
 * or written is ignored.
 */
export function readSignatureFiles(dir: string, options: { cacheDir?: string } = {}): { files: SignatureFile[]; hash: string } {
  const digest = createHash('sha256');
  const texts = listYaml(dir).map((absolute) => {
    const path = relative(dir, absolute).split('\\').join('/');
    const text = readFileSync(absolute, 'utf8');
    digest.update(path).update('\0').update(text).update('\0');
    return { path, text };
  });
  const hash = `sha256:${digest.digest('hex')}`;
  const cacheFile = options.cacheDir === undefined ? undefined : join(options.cacheDir, `signatures-${hash.slice('sha256:'.length)}.json`);
  const cached = cacheFile === undefined ? undefined : readCache(cacheFile, texts.length);
  if (cached !== undefined) return { files: cached, hash };
  const files = texts.map(({ path, text }) => {
    try {
      return { path, data: parseYaml(text, { maxAliasCount: 0 }) as unknown };
    } catch (error) {
      throw new SignatureError(`not valid YAML: ${(error as Error).message.split('\n')[0] ?? ''}`, path, { cause: error });
    }
  });
  if (cacheFile !== undefined) writeCache(cacheFile, files);
  return { files, hash };
}

function readCache(file: string, count: number): SignatureFile[] | undefined {
  try {
    const files = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    // The file name is the hash of the texts, so only a damaged file can disagree; compilePack validates the data as it would YAML.
    if (!Array.isArray(files) || files.length !== count || !files.every((file) => typeof (file as SignatureFile).path === 'string')) return undefined;
    return files as SignatureFile[];
  } catch {
    return undefined;
  }
}

function writeCache(file: string, files: readonly SignatureFile[]): void {
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    // Written aside and renamed: a run that reads it meanwhile sees the whole file or none.
    const partial = `${file}.${process.pid}.tmp`;
    writeFileSync(partial, JSON.stringify(files), { mode: 0o600 });
    renameSync(partial, file);
  } catch {
    // A read-only home: every run parses the YAML, as before.
  }
}

/** Files the vulnerability importer reads (import/), not part of the pack a scan compiles. */
export const IMPORT_FOLDER = 'import/';

/**
 * The pack a scan uses. With `imported` (the set `iotscan vulns import` stored), its rules join the
 * shipped version rules and its content joins the pack hash, so a scan record names the set it
 * was judged with. The set is read fresh on every run, never from the parsed-signature cache, so
 * an import or a clear takes effect at once.
 */
export function loadSignatures(dir: string = defaultSignaturesDir(), options: { cacheDir?: string; imported?: ImportedSet | undefined } = {}): SignaturePack {
  const { files, hash } = readSignatureFiles(dir, options);
  const pack = compilePack(files.filter((file) => !file.path.startsWith(IMPORT_FOLDER)), hash);
  const imported = options.imported;
  if (imported === undefined || imported.sources.length === 0) return pack;
  const combined = `sha256:${createHash('sha256').update(hash).update('\0').update(JSON.stringify(imported)).digest('hex')}`;
  return { ...pack, info: { ...pack.info, hash: combined }, versions: [...pack.versions, ...importedVersionRules(imported)] };
}

/** The product names NVD and OSV use for what the service rules emit (signatures/import/vulnerability-products.yaml). */
export function loadProductMap(dir: string = defaultSignaturesDir()): ProductMap {
  const path = `${IMPORT_FOLDER}vulnerability-products.yaml`;
  let data: unknown;
  try {
    data = parseYaml(readFileSync(join(dir, path), 'utf8'), { maxAliasCount: 0 }) as unknown;
  } catch (error) {
    throw new SignatureError(`cannot read: ${(error as Error).message.split('\n')[0] ?? ''}`, path, { cause: error });
  }
  const result = vulnerabilityProductsSchema.safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new SignatureError(`${issue?.message ?? 'invalid'}${issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : ''}`, path);
  }
  return compileProductMap(result.data);
}
