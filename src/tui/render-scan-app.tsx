// Entry point for the CLI: draws the live scan and resolves with the final state once the user
// has seen the last screen and left it.
import { render } from 'ink';
import type { ScanEvent } from '../core/events.js';
import { initialScanState } from '../core/reduce.js';
import type { ScanState } from '../core/reduce.js';
import { App, type AppProps } from './app.js';

export interface ScanAppOptions {
  /** Stops the scan (q or Ctrl+C); the stream is expected to end soon after. */
  abort: () => void;
  title?: string;
  practices?: AppProps['practices'];
}

export async function renderScanApp(events: AsyncIterable<ScanEvent>, options: ScanAppOptions): Promise<ScanState> {
  let finalState = initialScanState();
  const instance = render(
    <App
      events={events}
      abort={options.abort}
      {...(options.title !== undefined ? { title: options.title } : {})}
      {...(options.practices !== undefined ? { practices: options.practices } : {})}
      onExit={(state) => {
        finalState = state;
      }}
    />,
    // Ctrl+C is handled by the app as "stop the scan", so the scan is aborted rather than orphaned.
    { exitOnCtrlC: false },
  );
  await instance.waitUntilExit();
  return finalState;
}
