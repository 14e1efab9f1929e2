// Validates parsed signature files and builds the in-memory pack (regexes compiled once). Pure:
// the caller reads the files.
import type { ZodType } from 'zod';
import type { Practice, SignaturePackInfo } from '../core/model.js';
import {
  compileExtractor,
  compileMatcher,
  SignatureError,
  type CompiledExtractor,
  type CompiledMatcher,
} from '../core/match.js';
import {
  credentialSetSchema,
  fingerprintSchema,
  neverProbeSchema,
  weakCryptoSchema,
  vendorQuestionsSchema,
  type VendorQuestion,
  deviceProfileSchema,
  packSchema,
  practiceSchema,
  serviceRuleSchema,
  versionRuleSchema,
  SCHEMA_VERSION,
  type CredentialSetSpec,
  type FingerprintSpec,
  type PracticeSpec,
  type ServiceRuleSpec,
  type VersionRuleSpec,
  type WeakCryptoSpec,
  type DeviceProfileSpec,
} from './schema.js';

export interface SignatureFile {
  /** Path relative to the signatures folder, e.g. `fingerprints/axis-camera.yaml`. */
  path: string;
  data: unknown;
}

export interface CompiledFingerprint {
  spec: FingerprintSpec;
  match: CompiledMatcher;
  model?: CompiledExtractor;
  firmware?: CompiledExtractor;
}

export interface CompiledServiceRule {
  spec: ServiceRuleSpec;
  match: CompiledMatcher;
  version?: CompiledExtractor;
}

export interface NeverProbePort {
  port: number;
  transport: 'tcp' | 'udp';
  reason: string;
}

export interface SignaturePack {
  info: SignaturePackInfo;
  fingerprints: CompiledFingerprint[];
  services: CompiledServiceRule[];
  credentials: CredentialSetSpec[];
  versions: VersionRuleSpec[];
  practices: ReadonlyMap<string, Practice & { kind: PracticeSpec['kind'] }>;
  neverProbe: NeverProbePort[];
  weakCrypto: WeakCryptoSpec;
  profiles: DeviceProfileSpec[];
  vendorQuestions: VendorQuestion[];
}

function parse<T>(schema: ZodType<T>, file: SignatureFile): T {
  const result = schema.safeParse(file.data);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    throw new SignatureError(`${issue?.message ?? 'invalid'}${where}`, file.path);
  }
  return result.data;
}

function fileId(path: string): string {
  return path.replace(/^.*\//, '').replace(/\.ya?ml$/, '');
}

function checkId(id: string, file: SignatureFile): void {
  if (id !== fileId(file.path)) throw new SignatureError(`id "${id}" must equal the file name`, file.path);
}

function folderOf(path: string): string {
  return path.split('/')[0] ?? '';
}

export function compilePack(files: readonly SignatureFile[], hash: string): SignaturePack {
  const packFile = files.find((f) => f.path === 'pack.yaml');
  if (!packFile) throw new SignatureError('missing pack.yaml', 'signatures');
  const pack = parse(packSchema, packFile);

  const fingerprints: CompiledFingerprint[] = [];
  const services: CompiledServiceRule[] = [];
  const credentials: CredentialSetSpec[] = [];
  const versions: VersionRuleSpec[] = [];
  const practices = new Map<string, Practice & { kind: PracticeSpec['kind'] }>();
  let neverProbe: NeverProbePort[] = [];
  let weakCrypto: WeakCryptoSpec | undefined;
  const profiles: DeviceProfileSpec[] = [];
  let vendorQuestions: VendorQuestion[] = [];

  for (const file of files) {
    switch (folderOf(file.path)) {
      case 'fingerprints': {
        const spec = parse(fingerprintSchema, file);
        checkId(spec.id, file);
        fingerprints.push({
          spec,
          match: compileMatcher(spec.match, file.path),
          ...(spec.extract?.model && { model: compileExtractor(spec.extract.model, `${file.path}.extract.model`) }),
          ...(spec.extract?.firmware && { firmware: compileExtractor(spec.extract.firmware, `${file.path}.extract.firmware`) }),
        });
        break;
      }
      case 'services': {
        const spec = parse(serviceRuleSchema, file);
        checkId(spec.id, file);
        services.push({
          spec,
          match: compileMatcher(spec.match, file.path),
          ...(spec.extract?.version && { version: compileExtractor(spec.extract.version, `${file.path}.extract.version`) }),
        });
        break;
      }
      case 'credentials': {
        const spec = parse(credentialSetSchema, file);
        checkId(spec.id, file);
        credentials.push(spec);
        break;
      }
      case 'versions': {
        const spec = parse(versionRuleSchema, file);
        checkId(spec.id, file);
        versions.push(spec);
        break;
      }
      case 'practices': {
        const spec = parse(practiceSchema, file);
        checkId(spec.id, file);
        practices.set(spec.id, {
          id: spec.id,
          title: spec.title,
          severity: spec.severity,
          is3c: spec.is3c,
          en303645: spec.en303645,
          owasp: spec.owasp,
          why: spec.why,
          remedy: spec.remedy,
          sources: spec.references,
          kind: spec.kind,
        });
        break;
      }
      case 'never-probe.yaml':
        neverProbe = parse(neverProbeSchema, file).ports.map(({ port, transport, reason }) => ({ port, transport, reason }));
        break;
      case 'weak-crypto.yaml':
        weakCrypto = parse(weakCryptoSchema, file);
        break;
      case 'vendor-questions.yaml':
        vendorQuestions = parse(vendorQuestionsSchema, file).questions;
        break;
      case 'profiles': {
        const spec = parse(deviceProfileSchema, file);
        checkId(spec.id, file);
        profiles.push(spec);
        break;
      }
      case 'pack.yaml':
        break;
      default:
        throw new SignatureError('unknown signature file (expected fingerprints/, services/, credentials/, versions/, practices/, profiles/ or a known top-level file)', file.path);
    }
  }

  const byId = (a: { spec: { id: string } }, b: { spec: { id: string } }) => a.spec.id.localeCompare(b.spec.id);
  fingerprints.sort(byId);
  services.sort(byId);
  credentials.sort((a, b) => a.id.localeCompare(b.id));
  versions.sort((a, b) => a.id.localeCompare(b.id));
  if (!weakCrypto) throw new SignatureError('missing weak-crypto.yaml', 'signatures');
  profiles.sort((a, b) => a.id.localeCompare(b.id));
  return {
    info: { schemaVersion: SCHEMA_VERSION, packVersion: pack.packVersion, hash },
    fingerprints,
    services,
    credentials,
    versions,
    practices,
    neverProbe,
    weakCrypto,
    profiles,
    vendorQuestions,
  };
}
