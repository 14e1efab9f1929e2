// Version comparison for the loose version strings of embedded software (2014.63, 7.4p1,
// 1.4.35, 2.0.18-rc1). Pure.

type Token = number | string;

const PRE_RELEASE = /^(alpha|beta|rc|pre|dev|test)$/i;
/** `a`/`b` mean alpha/beta only before a number (1.0b2); alone they are patch letters (ProFTPD 1.3.5a). */
const SHORT_PRE_RELEASE = /^[ab]$/i;

function isPreRelease(tokens: readonly Token[], index: number): boolean {
  const token = tokens[index];
  if (typeof token !== 'string') return false;
  return PRE_RELEASE.test(token) || (SHORT_PRE_RELEASE.test(token) && typeof tokens[index + 1] === 'number');
}

function tokenize(version: string): Token[] {
  return (version.match(/\d+|[a-z]+/gi) ?? []).map((part) => (/^\d+$/.test(part) ? Number(part) : part.toLowerCase()));
}

/** Negative when a < b, zero when equal, positive when a > b. */
export function compareVersions(a: string, b: string): number {
  const left = tokenize(a);
  const right = tokenize(b);
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const x = left[i];
    const y = right[i];
    if (x === undefined || y === undefined) {
      // The longer one is newer, unless what it adds is a pre-release tag (1.0rc1 < 1.0).
      const longerIsNewer = !isPreRelease(x === undefined ? right : left, i);
      const sign = x === undefined ? -1 : 1;
      return longerIsNewer ? sign : -sign;
    }
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    if (typeof x === 'string' && typeof y === 'string') {
      const xPre = isPreRelease(left, i);
      const yPre = isPreRelease(right, i);
      if (xPre !== yPre) return xPre ? -1 : 1;
      return x < y ? -1 : 1;
    }
    // A number against a letter: the letter marks a pre-release (2.0.rc1 < 2.0.1) or a suffix (7.4p1 > 7.4.0 is rare); numbers win.
    return typeof x === 'number' ? 1 : -1;
  }
  return 0;
}

export interface VersionRange {
  introduced?: string | undefined;
  /** Affected only above this version (NVD's versionStartExcluding). */
  introducedAfter?: string | undefined;
  fixed?: string | undefined;
  lastAffected?: string | undefined;
}

export function inRange(version: string, range: VersionRange): boolean {
  if (range.introduced !== undefined && compareVersions(version, range.introduced) < 0) return false;
  if (range.introducedAfter !== undefined && compareVersions(version, range.introducedAfter) <= 0) return false;
  if (range.fixed !== undefined && compareVersions(version, range.fixed) >= 0) return false;
  if (range.lastAffected !== undefined && compareVersions(version, range.lastAffected) > 0) return false;
  return true;
}

const DISTRIBUTION_REVISION = /(\+deb\d+u\d+|\bdeb\d+u\d+|debian[-_]|ubuntu[-_ ]?\d|\dubuntu\d|\.el\d|\.fc\d\d|raspbian|-\d+\+deb)/i;

/**
 * A distribution package revision (Debian-2+deb12u3, Ubuntu-3ubuntu0.6) means the vendor may
 * have backported fixes without changing the upstream version.
 */
export function distributionRevision(banner: string): string | undefined {
  return DISTRIBUTION_REVISION.exec(banner)?.[0];
}
