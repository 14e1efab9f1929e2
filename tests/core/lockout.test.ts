import { describe, expect, it } from 'vitest';
import { readLockoutRun, type WrongLogin } from '../../src/core/lockout.js';

const flat = (count: number, ms = 20): WrongLogin[] => Array.from({ length: count }, () => ({ outcome: 'rejected', ms }));

describe('reading a run of wrong logins', () => {
  it('ten refusals at the same speed show no protection', () => {
    expect(readLockoutRun(flat(10)).result).toBe('none-seen');
  });

  it('a back-off answer, a refusal part-way or a growing delay is protection', () => {
    expect(readLockoutRun([...flat(4), { outcome: 'back-off', ms: 5 }])).toEqual({ result: 'backed-off', detail: 'asked to back off after 4 wrong logins' });
    expect(readLockoutRun([...flat(3), { outcome: 'abort', ms: 1 }]).result).toBe('refused');
    const slowing = [...flat(4, 30), ...flat(3, 400), ...flat(3, 2500)];
    expect(readLockoutRun(slowing)).toEqual({ result: 'slowed', detail: 'answers slowed from 30 ms to 2500 ms' });
  });

  it('noise under a second is not a delay', () => {
    expect(readLockoutRun([...flat(5, 20), ...flat(5, 600)]).result).toBe('none-seen');
  });

  it('proves nothing when the device never answered or took the made-up pair', () => {
    expect(readLockoutRun([{ outcome: 'abort', ms: 1 }]).result).toBe('inconclusive');
    expect(readLockoutRun([...flat(2), { outcome: 'success', ms: 3 }]).result).toBe('inconclusive');
  });
});
