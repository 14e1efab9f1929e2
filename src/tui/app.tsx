// The live scan screen: header, device list, device detail. It only reads the folded state; the
// one thing it can do to the scan is ask it to stop (q).
import { Box, Text, useApp, useInput, useStdin, useStdout } from 'ink';
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { adviceBeyondTheScan, type AdvicePractice } from '../core/advice.js';
import type { ScanEvent } from '../core/events.js';
import type { ScanState } from '../core/reduce.js';
import { DeviceDetail } from './device-detail.js';
import { DeviceList } from './device-list.js';
import { findingsInWords, plural } from '../report/words.js';
import { findingsWorstFirst, printable } from './format.js';
import { Header } from './header.js';
import { useScanStream } from './use-scan-stream.js';

export interface AppProps {
  events: AsyncIterable<ScanEvent>;
  /** Asks the scan to stop; the stream then ends with run-finished (interrupted). */
  abort: () => void;
  title?: string;
  /** Called with the final state just before the app exits. */
  onExit?: (state: ScanState) => void;
  /** The catalogue, for the advice on what a scan from inside cannot check (shown once it ends). */
  practices?: ReadonlyMap<string, AdvicePractice>;
}

/** Lines the header, column titles, summary and help take; the device list gets the rest. */
const RESERVED_ROWS = 10;

export function App({ events, abort, title = 'iotscan', onExit, practices }: AppProps) {
  const { state, ended } = useScanStream(events);
  const { exit } = useApp();
  // Ink reports `undefined` rather than false for a stdin that is not a terminal.
  const keysCanArrive = useStdin().isRawModeSupported === true;
  const { stdout } = useStdout();
  const [selectedAddress, setSelectedAddress] = useState<string>();
  const [openAddress, setOpenAddress] = useState<string>();
  const [findingIndex, setFindingIndex] = useState(0);
  const [stopRequested, setStopRequested] = useState(false);
  const exited = useRef(false);

  const hosts = state.hosts;
  const selected = Math.max(0, hosts.findIndex((view) => view.address === selectedAddress));
  const openView = openAddress === undefined ? undefined : hosts.find((view) => view.address === openAddress);
  const openFindings = openView ? findingsWorstFirst(openView.findings) : [];

  // Ink registers the key handler in a passive effect, so a key can arrive before the handler of
  // the latest render is in place; the handler therefore reads everything through this ref,
  // which is updated synchronously in the commit.
  const latest = useRef({ state, ended, hosts, selected, openView, openFindings });
  useLayoutEffect(() => {
    latest.current = { state, ended, hosts, selected, openView, openFindings };
  });
  const stopping = useRef(false);

  const finish = (): void => {
    if (exited.current) return;
    exited.current = true;
    onExit?.(latest.current.state);
    exit();
  };

  // Leave on our own once the stream is over if the user already asked to stop, or if no key
  // could ever reach us (stdin is not a terminal).
  useEffect(() => {
    if (ended && (stopRequested || !keysCanArrive)) finish();
  });

  const quit = (): void => {
    if (latest.current.ended) {
      finish();
    } else if (!stopping.current) {
      stopping.current = true;
      setStopRequested(true);
      abort();
    }
  };

  useInput(
    (input, key) => {
      const { ended: over, hosts: views, selected: index, openView: open, openFindings: findings } = latest.current;
      if (input === 'q' || (key.ctrl && input === 'c')) {
        quit();
        return;
      }
      if (open) {
        if (key.escape || key.leftArrow || key.backspace) setOpenAddress(undefined);
        else if (key.upArrow) setFindingIndex((current) => Math.max(0, current - 1));
        else if (key.downArrow) setFindingIndex((current) => Math.min(findings.length - 1, current + 1));
        return;
      }
      if (key.escape) {
        if (over) finish();
      } else if (key.upArrow) {
        setSelectedAddress(views[Math.max(0, index - 1)]?.address);
      } else if (key.downArrow) {
        setSelectedAddress(views[Math.min(views.length - 1, index + 1)]?.address);
      } else if (key.return || key.rightArrow) {
        const view = views[index];
        if (view) {
          setSelectedAddress(view.address);
          setOpenAddress(view.address);
          setFindingIndex(0);
        }
      }
    },
    { isActive: keysCanArrive },
  );

  const listRows = Math.max(3, (stdout.rows || 24) - RESERVED_ROWS);
  return (
    <Box flexDirection="column">
      <Header state={state} title={title} columns={stdout.columns || 80} />
      {openView ? (
        <DeviceDetail view={openView} findings={openFindings} selected={Math.min(findingIndex, Math.max(0, openFindings.length - 1))} />
      ) : (
        <DeviceList hosts={hosts} selected={selected} rows={listRows} />
      )}
      <Box flexDirection="column" marginTop={1}>
        {ended ? (
          <Text bold>
            {state.status === 'running' ? 'Scan ended' : `Scan ${state.status}`}: {plural(hosts.length, 'device')},{' '}
            {findingsInWords(state.findingsBySeverity)}.
          </Text>
        ) : null}
        {ended && !openView && practices !== undefined
          ? adviceBeyondTheScan(hosts, practices.values()).map((item) => (
              <Text key={item.check} dimColor wrap="truncate">
                Check yourself (a scan from inside cannot): {printable(item.title)}
                {item.devices.length > 0 ? ` (${item.devices.map((device) => printable(device)).join('; ')})` : ''}
              </Text>
            ))
          : null}
        {state.error ? <Text color="red">Error: {printable(state.error)}</Text> : null}
        {state.warnings.length > 0 ? (
          <Text dimColor wrap="truncate">
            Last warning: {printable(state.warnings[state.warnings.length - 1]!)}
          </Text>
        ) : null}
        <Text dimColor>{helpLine(Boolean(openView), ended, stopRequested)}</Text>
      </Box>
    </Box>
  );
}

function helpLine(detail: boolean, ended: boolean, stopRequested: boolean): string {
  const quit = ended ? 'q quit' : stopRequested ? 'stopping…' : 'q stop the scan';
  if (detail) return `↑↓ choose a finding · Esc back · ${quit}`;
  return `↑↓ select · Enter open · ${ended ? 'q/Esc quit' : quit}`;
}
