// The shape of every file in signatures/: knowledge as validated, versioned data.
import { z } from 'zod';
import { SEVERITIES } from '../core/model.js';
import type { MatcherSpec } from '../core/match.js';

export const SCHEMA_VERSION = 1;

const id = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'ids are kebab-case');
const references = z.array(z.string().min(3)).min(1, 'every entry needs a source');
const severity = z.enum(SEVERITIES);

const condition = z
  .object({
    field: z.string().min(1),
    equals: z.string().optional(),
    glob: z.string().optional(),
    regex: z.string().optional(),
    word: z.string().optional(),
    caseSensitive: z.boolean().optional(),
  })
  .strict()
  .refine((c) => [c.equals, c.glob, c.regex, c.word].filter((v) => v !== undefined).length === 1, {
    message: 'a condition needs exactly one of equals, glob, regex, word',
  });


export const matcherSchema: z.ZodType<MatcherSpec> = z.lazy(() =>
  z.union([
    condition,
    z.object({ all: z.array(matcherSchema).min(1) }).strict(),
    z.object({ any: z.array(matcherSchema).min(1) }).strict(),
    z.object({ not: matcherSchema }).strict(),
  ]),
);

/** Takes a field's value, or the named group `v` of a regex over it. */
const extractor = z
  .object({
    field: z.string().min(1),
    regex: z.string().optional(),
    /** The product name for an identifier the device sends (`AudioAccessory5,1` is the HomePod mini). */
    names: z.record(z.string(), z.string()).optional(),
  })
  .strict();
export type ExtractorSpec = z.infer<typeof extractor>;

const exampleFields = z.record(z.string(), z.union([z.string(), z.array(z.string())]));

export const DEVICE_TYPES = [
  'camera', 'doorbell', 'router', 'mesh', 'nas', 'printer', 'tv', 'media-player', 'speaker',
  'voice-assistant', 'hub', 'bridge', 'plug', 'bulb', 'console', 'baby-monitor', 'thermostat',
  'phone', 'computer', 'server', 'appliance', 'sensor', 'other',
] as const;

/** What an unauthenticated status page can give away; the first two are secrets. */
export const INFO_LEAK_KINDS = ['wifi-password', 'token', 'wifi-ssid', 'nearby-networks', 'email', 'location', 'serial', 'mac', 'debug'] as const;
export type InfoLeakKind = (typeof INFO_LEAK_KINDS)[number];
export const SECRET_LEAK_KINDS: readonly InfoLeakKind[] = ['wifi-password', 'token'];

function isValidRegex(pattern: string): boolean {
  try {
    new RegExp(pattern, 'i');
    return true;
  } catch {
    return false;
  }
}

export const fingerprintSchema = z
  .object({
    schemaVersion: z.literal(SCHEMA_VERSION),
    id,
    references,
    match: matcherSchema,
    extract: z.object({ model: extractor.optional(), firmware: extractor.optional() }).strict().optional(),
    identity: z
      .object({
        vendor: z.string().min(1),
        model: z.string().optional(),
        type: z.enum(DEVICE_TYPES),
        /** May use {model} and {firmware} placeholders. */
        cpe: z.string().optional(),
      })
      .strict(),
    /**
     * Where this family's settings live over HTTP. Fetched once without credentials (a plain GET,
     * no consent needed): answering 2xx there is no-auth-admin.
     */
    adminPaths: z.array(z.object({ path: z.string().regex(/^\//), why: z.string().min(1) }).strict()).optional(),
    /**
     * Status or diagnostic pages of this family that answer without a login, and what in the answer
     * gives away something private: each pattern (case-insensitive) names the kind of leak.
     */
    infoPaths: z
      .array(
        z
          .object({
            path: z.string().regex(/^\//),
            why: z.string().min(1),
            leaks: z.array(z.object({ kind: z.enum(INFO_LEAK_KINDS), pattern: z.string().min(1).refine(isValidRegex, 'not a valid regular expression') }).strict()).min(1),
          })
          .strict(),
      )
      .optional(),
    /** Where this family serves camera pictures, video or audio over plain HTTP (with or without a login). */
    mediaPaths: z.array(z.object({ path: z.string().regex(/^\//), kind: z.enum(['snapshot', 'mjpeg', 'audio']), why: z.string().min(1) }).strict()).optional(),
    examples: z
      .array(
        z
          .object({
            fields: exampleFields,
            expect: z.object({ matches: z.boolean(), model: z.string().optional(), firmware: z.string().optional() }).strict(),
          })
          .strict(),
      )
      .min(1),
  })
  .strict();
export type FingerprintSpec = z.infer<typeof fingerprintSchema>;
export type InfoPath = NonNullable<FingerprintSpec['infoPaths']>[number];
export type MediaPath = NonNullable<FingerprintSpec['mediaPaths']>[number];

export const serviceRuleSchema = z
  .object({
    schemaVersion: z.literal(SCHEMA_VERSION),
    id,
    references,
    protocol: z.string().min(1),
    match: matcherSchema,
    extract: z.object({ version: extractor.optional() }).strict().optional(),
    /** `product` is the key version rules use; `cpe` may use {version}. */
    service: z.object({ product: z.string().min(1), cpe: z.string().optional() }).strict(),
    examples: z
      .array(
        z
          .object({
            fields: exampleFields,
            expect: z.object({ matches: z.boolean(), version: z.string().optional() }).strict(),
          })
          .strict(),
      )
      .min(1),
  })
  .strict();
export type ServiceRuleSpec = z.infer<typeof serviceRuleSchema>;

/**
 * How a driver proves a login (one driver per protocol implements its strategies):
 * telnet-prompt, basic-auth / digest-auth / form-login (http), ssh-password, ftp-login,
 * mqtt-connect, rtsp-auth (Basic or Digest, as the server asks), snmp-community (password = community).
 */
export const CREDENTIAL_STRATEGIES = [
  'telnet-prompt',
  'basic-auth',
  'digest-auth',
  'form-login',
  'ssh-password',
  'ftp-login',
  'mqtt-connect',
  'rtsp-auth',
  'snmp-community',
] as const;

/**
 * Placeholders a password may contain, filled from identifiers the scan already saw (PSTI: no
 * passwords derived from public identifiers). A pair whose placeholder has no value is skipped.
 */
export const PASSWORD_PLACEHOLDERS = ['mac-last6', 'mac-last6-lower', 'mac-last8', 'serial', 'serial-last8'] as const;

export const credentialSetSchema = z
  .object({
    schemaVersion: z.literal(SCHEMA_VERSION),
    id,
    references,
    protocol: z.enum(['telnet', 'ssh', 'http', 'ftp', 'mqtt', 'rtsp', 'snmp']),
    strategy: z.enum(CREDENTIAL_STRATEGIES),
    params: z.record(z.string(), z.string()).optional(),
    /** The ports the device serves this login on, when the vendor documents them (a printer's admin page, not its IPP port). */
    ports: z.array(z.number().int().min(1).max(65535)).min(1).optional(),
    /** Which devices the pairs are published for: a fingerprint id, or `generic` for the short common list. */
    appliesTo: z.union([z.object({ fingerprints: z.array(id).min(1) }).strict(), z.object({ generic: z.literal(true) }).strict()]),
    /** The check a success proves: a vendor default, or a guessable non-vendor pair. */
    check: z.enum(['default-cred-accepted', 'weak-guessable-cred', 'password-derived-from-id']),
    pairs: z
      .array(z.object({ username: z.string(), password: z.string(), source: z.string().min(3) }).strict())
      .min(1),
  })
  .strict();
export type CredentialSetSpec = z.infer<typeof credentialSetSchema>;

const vulnerability = z
  .object({
    id: z.string().min(1),
    /** Affected when introduced <= version < fixed (or <= lastAffected). Missing bound = open. */
    introduced: z.string().optional(),
    /** Affected only above this version (an exclusive lower bound, as NVD's versionStartExcluding). */
    introducedAfter: z.string().optional(),
    fixed: z.string().optional(),
    lastAffected: z.string().optional(),
    cves: z.array(z.string().regex(/^CVE-\d{4}-\d{4,}$/)).min(1),
    severity,
    knownExploited: z.boolean().optional(),
    summary: z.string().min(1),
    references,
  })
  .strict()
  .refine((v) => v.fixed !== undefined || v.lastAffected !== undefined, { message: 'a vulnerability needs fixed or lastAffected' });

export const versionRuleSchema = z
  .object({
    schemaVersion: z.literal(SCHEMA_VERSION),
    id,
    /** The service product name this applies to (as a service rule names it). */
    product: z.string().min(1),
    references,
    vulnerabilities: z.array(vulnerability),
    eol: z
      .object({ before: z.string().min(1), reason: z.string().min(1), references })
      .strict()
      .optional(),
    examples: z.array(z.object({ version: z.string(), expect: z.object({ vulnerabilities: z.array(z.string()), eol: z.boolean() }).strict() }).strict()).min(1),
  })
  .strict();
export type VersionRuleSpec = z.infer<typeof versionRuleSchema>;

export const practiceSchema = z
  .object({
    schemaVersion: z.literal(SCHEMA_VERSION),
    id,
    title: z.string().min(1),
    severity,
    is3c: z.enum(['Privacy & Exposure', 'Update', 'Non-technical', 'Operation/Community', 'Privacy & Exposure + Operation/Community', 'Privacy & Exposure + Update', 'Update + Non-technical']),
    en303645: z.array(z.string()).min(1),
    owasp: z.array(z.string()),
    /** Informational rows (roll-ups) and checks needing a vantage point outside the home. */
    kind: z.enum(['check', 'informational', 'advice']),
    why: z.string().min(1),
    remedy: z.string().min(1),
    references,
  })
  .strict();
export type PracticeSpec = z.infer<typeof practiceSchema>;

const deprecatedAlgorithm = z.object({ name: z.string().min(1), why: z.string().min(1), references }).strict();

/** What counts as outdated cryptography, so the transport checks judge by cited data, not taste. */
export const weakCryptoSchema = z
  .object({
    schemaVersion: z.literal(SCHEMA_VERSION),
    ssh: z.object({ kex: z.array(deprecatedAlgorithm), ciphers: z.array(deprecatedAlgorithm), macs: z.array(deprecatedAlgorithm) }).strict(),
    tls: z
      .object({
        legacyVersions: z.array(deprecatedAlgorithm).min(1),
        minRsaBits: z.number().int().min(1024),
        minRsaBitsReferences: references,
        signatureAlgorithms: z.array(deprecatedAlgorithm),
      })
      .strict(),
  })
  .strict();
export type WeakCryptoSpec = z.infer<typeof weakCryptoSchema>;

const expectedPort = z.object({ port: z.number().int().min(1).max(65535), why: z.string().min(1) }).strict();

/**
 * The network services a kind of device needs for its job. Anything else open on such a device
 * is reported by unexpected-open-services, as a question to the owner.
 */
export const deviceProfileSchema = z
  .object({
    schemaVersion: z.literal(SCHEMA_VERSION),
    id,
    types: z.array(z.enum(DEVICE_TYPES)).min(1),
    tcp: z.array(expectedPort),
    references,
  })
  .strict();
export type DeviceProfileSpec = z.infer<typeof deviceProfileSchema>;

/** What no network scan can see: questions for the vendor (practices.md §5), each with its provisions. */
export const vendorQuestionsSchema = z
  .object({
    schemaVersion: z.literal(SCHEMA_VERSION),
    questions: z.array(z.object({ topic: z.string().min(1), provisions: z.array(z.string()).min(1), question: z.string().min(1), references }).strict()).min(1),
  })
  .strict();
export type VendorQuestion = z.infer<typeof vendorQuestionsSchema>['questions'][number];

export const neverProbeSchema = z
  .object({
    schemaVersion: z.literal(SCHEMA_VERSION),
    ports: z.array(z.object({ port: z.number().int().min(1).max(65535), transport: z.enum(['tcp', 'udp']), reason: z.string().min(1), references }).strict()),
  })
  .strict();

export const packSchema = z
  .object({
    schemaVersion: z.literal(SCHEMA_VERSION),
    packVersion: z.string().regex(/^\d{4}\.\d{2}\.\d{2}(\.\d+)?$/, 'packVersion is CalVer YYYY.MM.DD'),
    sources: z.array(z.object({ id: z.string(), title: z.string(), url: z.string().optional(), licence: z.string() }).strict()).min(1),
  })
  .strict();

/**
 * Which names the vulnerability databases give the products the service rules emit, so an offline
 * import (`iotscan vulns import`) keeps only what a scan can see. `cpe` entries are
 * `part:vendor:product` of a CPE 2.3 name (NISTIR 7695, CPE Naming 2.3); `osv` entries are the
 * ecosystem and package name of an OSV record's `affected[].package` (OSV schema 1.7).
 */
export const vulnerabilityProductsSchema = z
  .object({
    schemaVersion: z.literal(SCHEMA_VERSION),
    products: z
      .array(
        z
          .object({
            product: z.string().min(1),
            cpe: z.array(z.string().regex(/^[aoh]:[^:\s]+:[^:\s]+$/, 'cpe entries are part:vendor:product')).default([]),
            osv: z.array(z.object({ ecosystem: z.string().min(1), name: z.string().min(1) }).strict()).default([]),
            references,
          })
          .strict(),
      )
      .min(1),
  })
  .strict();
export type VulnerabilityProductsSpec = z.infer<typeof vulnerabilityProductsSchema>;
