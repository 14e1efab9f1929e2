import { describe, expect, it, vi } from 'vitest';
import type { ScanEvent } from '../../src/core/events.js';
import { renderScanApp } from '../../src/tui/render-scan-app.js';
import { SCRIPTED_EVENTS } from '../report/fixtures/scan-events.js';

describe('renderScanApp', () => {
  // With a terminal on stdin the app would rightly wait for a key; vitest workers normally have none.
  it.skipIf(process.stdin.isTTY === true)('resolves with the final state on its own when stdin is not a terminal', async () => {
    const events: AsyncIterable<ScanEvent> = {
      async *[Symbol.asyncIterator]() {
        yield* SCRIPTED_EVENTS;
      },
    };
    const abort = vi.fn();
    // Swallow the drawing, but honour write callbacks: Ink waits on one before it resolves.
    const writes = vi.spyOn(process.stdout, 'write').mockImplementation((_chunk: unknown, ...rest: unknown[]) => {
      const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    });
    try {
      const state = await renderScanApp(events, { abort, title: 'test scan' });
      expect(state.status).toBe('completed');
      expect(state.hosts.map((host) => host.address)).toEqual(['192.168.50.9', '192.168.50.10']);
      expect(abort).not.toHaveBeenCalled();
      expect(writes.mock.calls.map(([chunk]) => String(chunk)).join('')).toContain('test scan');
    } finally {
      writes.mockRestore();
    }
  });
});
