// The vulnerability set a user imported from NVD or OSV files (`iotscan vulns import`): its stored
// shape, and the version rules a scan builds from it beside the shipped ones. Pure.
import { z } from 'zod';
import { SEVERITIES } from '../core/model.js';
import { describeOrigin, type VersionRule } from '../core/vulns.js';
import { SCHEMA_VERSION } from './schema.js';

/** Bumped when the stored shape changes; an older file is then re-imported, never misread. */
export const IMPORTED_SET_VERSION = 1;

const range = z
  .object({
    introduced: z.string().optional(),
    introducedAfter: z.string().optional(),
    fixed: z.string().optional(),
    lastAffected: z.string().optional(),
  })
  .strict()
  .refine((r) => r.fixed !== undefined || r.lastAffected !== undefined, { message: 'a range needs fixed or lastAffected' });
export type ImportedRange = z.infer<typeof range>;

const importedVulnerability = z
  .object({
    /** The product name the service rules emit. */
    product: z.string().min(1),
    /** The record's own id (CVE-… for NVD, BIT-…, GHSA-… for OSV). */
    id: z.string().min(1),
    /** The ids a finding shows: the CVE ids when the record has them, else its own id. */
    cves: z.array(z.string().min(1)).min(1),
    ranges: z.array(range).min(1),
    severity: z.enum(SEVERITIES),
    /** False when the record carried no severity and `severity` is the stand-in. */
    severityGiven: z.boolean(),
    knownExploited: z.boolean(),
    summary: z.string().min(1),
    reference: z.string().min(1),
  })
  .strict();
export type ImportedVulnerability = z.infer<typeof importedVulnerability>;

const importedSource = z
  .object({
    /** The file's base name, as the user downloaded it. */
    file: z.string().min(1),
    format: z.enum(['nvd', 'osv', 'mixed']),
    importedAt: z.string().min(1),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    vulnerabilities: z.array(importedVulnerability),
  })
  .strict();
export type ImportedSource = z.infer<typeof importedSource>;

export const importedSetSchema = z.object({ formatVersion: z.literal(IMPORTED_SET_VERSION), sources: z.array(importedSource) }).strict();
export type ImportedSet = z.infer<typeof importedSetSchema>;

/** One version rule per imported file and product; each range becomes one entry under the record's id. */
export function importedVersionRules(set: ImportedSet): VersionRule[] {
  return set.sources.flatMap((source) => {
    const byProduct = new Map<string, ImportedVulnerability[]>();
    for (const vulnerability of source.vulnerabilities) byProduct.set(vulnerability.product, [...(byProduct.get(vulnerability.product) ?? []), vulnerability]);
    return [...byProduct].map(([product, vulnerabilities]): VersionRule => ({
      schemaVersion: SCHEMA_VERSION,
      id: `imported:${source.file}:${product}`,
      product,
      references: [describeOrigin(source)],
      vulnerabilities: vulnerabilities.flatMap((v) =>
        v.ranges.map((r) => ({
          id: v.id,
          ...r,
          cves: v.cves,
          severity: v.severity,
          knownExploited: v.knownExploited,
          summary: v.severityGiven ? v.summary : `${v.summary} (the source gives no severity; counted as ${v.severity})`,
          references: [v.reference],
        })),
      ),
      examples: [],
      importedFrom: { format: source.format, file: source.file, importedAt: source.importedAt },
    }));
  });
}
