// One matcher language for every signature kind: all / any / not over observation fields with
// equals, glob, regex or word. Compiled once; evaluation is pure.
import type { FieldBag } from './fields.js';

export type ConditionSpec = {
  field: string;
  equals?: string | undefined;
  glob?: string | undefined;
  regex?: string | undefined;
  word?: string | undefined;
  caseSensitive?: boolean | undefined;
};
export type MatcherSpec = ConditionSpec | { all: MatcherSpec[] } | { any: MatcherSpec[] } | { not: MatcherSpec };

export interface MatchResult {
  matched: boolean;
  /** The fields (with the value that satisfied them) that made a positive match. */
  evidence: Record<string, string>;
}

export type CompiledMatcher = (fields: FieldBag) => MatchResult;

export class SignatureError extends Error {
  constructor(message: string, readonly where: string, options?: { cause?: unknown }) {
    super(`${where}: ${message}`, options);
    this.name = 'SignatureError';
  }
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function globToRegex(glob: string, caseSensitive: boolean): RegExp {
  const body = glob
    .split('')
    .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : escapeRegex(ch)))
    .join('');
  return new RegExp(`^${body}$`, caseSensitive ? 'su' : 'isu');
}

export function compileRegex(source: string, caseSensitive: boolean, where: string): RegExp {
  try {
    return new RegExp(source, caseSensitive ? 'u' : 'iu');
  } catch (error) {
    throw new SignatureError(`regex does not compile: ${source}`, where, { cause: error });
  }
}

function valueTest(condition: ConditionSpec, where: string): (value: string) => boolean {
  const caseSensitive = condition.caseSensitive ?? false;
  if (condition.equals !== undefined) {
    const wanted = caseSensitive ? condition.equals : condition.equals.toLowerCase();
    return (value) => (caseSensitive ? value : value.toLowerCase()) === wanted;
  }
  if (condition.glob !== undefined) {
    const pattern = globToRegex(condition.glob, caseSensitive);
    return (value) => pattern.test(value);
  }
  if (condition.regex !== undefined) {
    const pattern = compileRegex(condition.regex, caseSensitive, where);
    return (value) => pattern.test(value);
  }
  if (condition.word !== undefined) {
    const pattern = compileRegex(`(^|[^\\p{L}\\p{N}])${escapeRegex(condition.word)}($|[^\\p{L}\\p{N}])`, caseSensitive, where);
    return (value) => pattern.test(value);
  }
  throw new SignatureError('a condition needs one of equals, glob, regex, word', where);
}

export function compileMatcher(spec: MatcherSpec, where: string): CompiledMatcher {
  if ('all' in spec) {
    const parts = spec.all.map((part, i) => compileMatcher(part, `${where}.all[${i}]`));
    return (fields) => {
      const evidence: Record<string, string> = {};
      for (const part of parts) {
        const result = part(fields);
        if (!result.matched) return { matched: false, evidence: {} };
        Object.assign(evidence, result.evidence);
      }
      return { matched: true, evidence };
    };
  }
  if ('any' in spec) {
    const parts = spec.any.map((part, i) => compileMatcher(part, `${where}.any[${i}]`));
    return (fields) => {
      for (const part of parts) {
        const result = part(fields);
        if (result.matched) return result;
      }
      return { matched: false, evidence: {} };
    };
  }
  if ('not' in spec) {
    const inner = compileMatcher(spec.not, `${where}.not`);
    return (fields) => ({ matched: !inner(fields).matched, evidence: {} });
  }
  const test = valueTest(spec, where);
  const field = spec.field;
  return (fields) => {
    const hit = fields.get(field)?.find(test);
    return hit === undefined ? { matched: false, evidence: {} } : { matched: true, evidence: { [field]: hit } };
  };
}

/** Every field name a matcher reads, for the lint that checks them against probe declarations. */
export function matcherFields(spec: MatcherSpec): string[] {
  if ('all' in spec) return spec.all.flatMap(matcherFields);
  if ('any' in spec) return spec.any.flatMap(matcherFields);
  if ('not' in spec) return matcherFields(spec.not);
  return [spec.field];
}

export interface ExtractorSpec {
  field: string;
  regex?: string | undefined;
  /** Product names for identifiers the device sends, applied to the extracted value. */
  names?: Record<string, string> | undefined;
}

export type CompiledExtractor = (fields: FieldBag) => string | undefined;

/** Takes the first value of a field, or the named group `v` (else the whole match) of a regex over it. */
export function compileExtractor(spec: ExtractorSpec, where: string): CompiledExtractor {
  const pattern = spec.regex === undefined ? undefined : compileRegex(spec.regex, false, where);
  const named = (value: string): string => spec.names?.[value] ?? value;
  return (fields) => {
    for (const value of fields.get(spec.field) ?? []) {
      if (pattern === undefined) return named(value);
      const match = pattern.exec(value);
      if (match) return named(match.groups?.['v'] ?? match[0]);
    }
    return undefined;
  };
}

/** Fills {name} placeholders; leaves the template's placeholder as '*' when a value is missing (CPE "any"). */
export function fillTemplate(template: string, values: Record<string, string | undefined>): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = values[name];
    return value === undefined ? '*' : value.replace(/[\s:]/g, '_').toLowerCase();
  });
}
