// The engine's limiter: never more than its limit at once, waiting tasks in order, long queues too.
import { describe, expect, it } from 'vitest';
import { createLimiter } from '../../src/engine/concurrency.js';

describe('createLimiter', () => {
  it('runs at most the limit at once and starts waiting tasks in the order they came', async () => {
    const limit = createLimiter(3);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    // More tasks than the queue ever drops at once, so the queue is trimmed while it is read.
    await Promise.all(
      Array.from({ length: 5000 }, (_, index) =>
        limit(async () => {
          started.push(index);
          running++;
          most = Math.max(most, running);
          await new Promise<void>((resolve) => setImmediate(resolve));
          running--;
        }),
      ),
    );
    expect(most).toBe(3);
    expect(started).toEqual(Array.from({ length: 5000 }, (_, index) => index));
  });

  it('frees the place of a task that throws', async () => {
    const limit = createLimiter(1);
    await expect(limit(() => Promise.reject(new Error('probe failed')))).rejects.toThrow('probe failed');
    expect(await limit(() => Promise.resolve('next'))).toBe('next');
  });
});
