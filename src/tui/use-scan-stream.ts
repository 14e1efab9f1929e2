// Folds the scan's event stream into a ScanState. Every event is folded as it arrives, but React
// sees the result at most once per interval, so a burst of events costs one re-render, not one each.
import { useEffect, useState } from 'react';
import type { ScanEvent } from '../core/events.js';
import { initialScanState, reduceScan } from '../core/reduce.js';
import type { ScanState } from '../core/reduce.js';

/** 50 ms: at most ~20 renders a second, as the design asks. */
export const RENDER_INTERVAL_MS = 50;

export interface ScanStream {
  state: ScanState;
  /** True once the stream has ended, whether or not run-finished came. */
  ended: boolean;
}

export function useScanStream(events: AsyncIterable<ScanEvent>, intervalMs = RENDER_INTERVAL_MS): ScanStream {
  const [stream, setStream] = useState<ScanStream>({ state: initialScanState(), ended: false });

  useEffect(() => {
    let current = initialScanState();
    let pending: ReturnType<typeof setTimeout> | undefined;
    let unmounted = false;
    const flush = (): void => {
      pending = undefined;
      if (!unmounted) setStream({ state: current, ended: false });
    };
    const consume = async (): Promise<void> => {
      try {
        for await (const event of events) {
          if (unmounted) break;
          current = reduceScan(current, event);
          pending ??= setTimeout(flush, intervalMs);
        }
      } catch (error) {
        // The engine reports expected failures as events; anything thrown here is a bug, shown as a failed run.
        current = reduceScan(current, {
          type: 'run-finished',
          status: 'failed',
          finishedAt: new Date().toISOString(),
          error: error instanceof Error ? error.message : String(error),
        });
      }
      clearTimeout(pending);
      pending = undefined;
      if (!unmounted) setStream({ state: current, ended: true });
    };
    void consume();
    return () => {
      unmounted = true;
      clearTimeout(pending);
    };
  }, [events, intervalMs]);

  return stream;
}
