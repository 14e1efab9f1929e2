import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ScanEvent } from '../../src/core/events.js';
import type { ScanState } from '../../src/core/reduce.js';
import { App } from '../../src/tui/app.js';
import { loadSignatures } from '../../src/signatures/load.js';
import { RUN, SCRIPTED_EVENTS } from '../report/fixtures/scan-events.js';

const ARROW_DOWN = '\u001b[B';
const ENTER = '\r';
const ESCAPE = '\u001b';

/** A stream the test feeds by hand, so it decides when the scan "ends". */
function controlledStream() {
  const queue: ScanEvent[] = [];
  let wake: (() => void) | undefined;
  let closed = false;
  const iterable: AsyncIterable<ScanEvent> = {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const next = queue.shift();
        if (next) {
          yield next;
        } else if (closed) {
          return;
        } else {
          await new Promise<void>((resolve) => (wake = resolve));
        }
      }
    },
  };
  const poke = (): void => {
    wake?.();
    wake = undefined;
  };
  return {
    iterable,
    push: (...events: ScanEvent[]) => {
      queue.push(...events);
      poke();
    },
    close: () => {
      closed = true;
      poke();
    },
  };
}

function fromArray(events: readonly ScanEvent[]): AsyncIterable<ScanEvent> {
  return {
    async *[Symbol.asyncIterator]() {
      yield* events;
    },
  };
}

let unmount: (() => void) | undefined;
afterEach(() => {
  unmount?.();
  unmount = undefined;
});

function renderApp(events: AsyncIterable<ScanEvent>, abort = vi.fn(), onExit = vi.fn<(state: ScanState) => void>()) {
  const rendered = render(<App events={events} abort={abort} onExit={onExit} />);
  unmount = rendered.unmount;
  const frame = (): string => rendered.lastFrame() ?? '';
  const waitForFrame = (expected: string | RegExp) =>
    vi.waitFor(
      () => {
        if (typeof expected === 'string') expect(frame()).toContain(expected);
        else expect(frame()).toMatch(expected);
      },
      { timeout: 2000, interval: 10 },
    );
  return { ...rendered, frame, waitForFrame, abort, onExit };
}

/** Lets Ink process a keypress and re-render. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 30));

describe('<App>', () => {
  it('shows devices as they are found, and their worst finding', async () => {
    const app = renderApp(fromArray(SCRIPTED_EVENTS));
    await app.waitForFrame('Scan completed: 2 devices, 2 findings (1 critical, 1 medium).');
    const frame = app.frame();
    expect(frame).toContain('run run-0001');
    expect(frame).toMatch(/discover █+ 2\/2/);
    expect(frame).toMatch(/192\.168\.50\.9 .*\?/);
    expect(frame).toMatch(/192\.168\.50\.10 +00:11:22:33:44:55 +ExampleVendor EC-100 \(camera\) +2 +critical/);
    expect(frame.indexOf('192.168.50.9 ')).toBeLessThan(frame.indexOf('192.168.50.10 '));
    expect(frame).toContain('critical 1');
  });

  it('updates while the scan runs', async () => {
    const stream = controlledStream();
    const app = renderApp(stream.iterable);
    stream.push(SCRIPTED_EVENTS[0]!);
    await app.waitForFrame('Looking for devices');
    stream.push({ type: 'host-found', address: '10.0.0.7', via: 'mdns' });
    await app.waitForFrame('10.0.0.7');
    expect(app.frame()).toContain('q stop the scan');
    stream.close();
    await app.waitForFrame('Scan ended: 1 device, no findings.');
  });

  it('selection + Enter opens the device with its findings and remedy; Esc goes back', async () => {
    const app = renderApp(fromArray(SCRIPTED_EVENTS));
    await app.waitForFrame('Scan completed');
    app.stdin.write(ARROW_DOWN);
    await settle();
    expect(app.frame()).toMatch(/› .*192\.168\.50\.10/);
    app.stdin.write(ENTER);
    await app.waitForFrame('What to do: Set your own password in the camera app and turn telnet off.');
    const detail = app.frame();
    expect(detail).toMatch(/tcp\/80 +http lighttpd 1\.4\.35/);
    expect(detail).toContain('[critical] Telnet accepts the factory login');
    expect(detail).toContain('Confidence: high');
    expect(detail).toContain('EN 303 645: 5.1-1');
    expect(detail).toContain('IS3C category: authentication');

    app.stdin.write(ARROW_DOWN);
    await app.waitForFrame('What to do: Install the latest firmware from the vendor.');
    expect(app.frame()).toContain('Confidence: medium (version read from a banner)');

    app.stdin.write(ESCAPE);
    await app.waitForFrame('Enter open');
    expect(app.frame()).not.toContain('What to do');
    expect(app.onExit).not.toHaveBeenCalled();
  });

  it('q during the scan asks the scan to stop, then leaves when the stream ends', async () => {
    const stream = controlledStream();
    const app = renderApp(stream.iterable);
    stream.push(...SCRIPTED_EVENTS.slice(0, 6));
    await app.waitForFrame('192.168.50.10');
    app.stdin.write('q');
    await app.waitForFrame('stopping…');
    expect(app.abort).toHaveBeenCalledTimes(1);
    app.stdin.write('q');
    await settle();
    expect(app.abort).toHaveBeenCalledTimes(1);
    stream.push({ type: 'run-finished', status: 'interrupted', finishedAt: '2025-01-02T10:00:10.000Z' });
    stream.close();
    await vi.waitFor(() => expect(app.onExit).toHaveBeenCalledTimes(1), { timeout: 2000 });
    expect(app.onExit.mock.calls[0]?.[0].status).toBe('interrupted');
  });

  it('after the scan, q leaves with the final state and never aborts', async () => {
    const app = renderApp(fromArray(SCRIPTED_EVENTS));
    await app.waitForFrame('q/Esc quit');
    app.stdin.write('q');
    await vi.waitFor(() => expect(app.onExit).toHaveBeenCalledTimes(1), { timeout: 2000 });
    expect(app.abort).not.toHaveBeenCalled();
    expect(app.onExit.mock.calls[0]?.[0].hosts).toHaveLength(2);
  });

  it('after the scan, lists what the user must check themselves, and not before', async () => {
    const stream = controlledStream();
    const rendered = render(<App events={stream.iterable} abort={vi.fn()} practices={loadSignatures().practices} />);
    unmount = rendered.unmount;
    stream.push(...SCRIPTED_EVENTS.slice(0, -1));
    await vi.waitFor(() => expect(rendered.lastFrame()).toContain('192.168.50.10'), { timeout: 2000, interval: 10 });
    expect(rendered.lastFrame()).not.toContain('Check yourself');
    stream.push(SCRIPTED_EVENTS[SCRIPTED_EVENTS.length - 1]!);
    stream.close();
    await vi.waitFor(() => expect(rendered.lastFrame()).toContain('Check yourself (a scan from inside cannot): Router management may be reachable from the Internet'), { timeout: 2000, interval: 10 });
  });

  it('never draws terminal controls that came from the network', async () => {
    const hostile: ScanEvent[] = [
      { type: 'run-started', run: RUN },
      { type: 'host-found', address: '10.0.0.5', via: 'ssdp' },
      {
        type: 'host-identified',
        address: '10.0.0.5',
        host: {
          id: 'ip:10.0.0.5',
          addresses: ['10.0.0.5'],
          keys: [],
          names: ['x\u001b]0;owned\u0007y'],
          identity: { vendor: 'Evil\u001b[2J\u001b[31mCorp', model: 'M\u009b1m', signals: [] },
        },
      },
    ];
    const app = renderApp(fromArray(hostile));
    await app.waitForFrame('EvilCorp M ');
    app.stdin.write(ENTER);
    await app.waitForFrame('xy');
    // Ink itself emits SGR colour codes; anything else (clear screen, OSC title, C1 CSI) must be gone.
    const forbidden = ['\u001b[2J', '\u001b]', '\u0007', '\u009b'];
    for (const frame of app.frames) {
      expect(forbidden.filter((sequence) => frame.includes(sequence))).toEqual([]);
    }
  });

  it('folds a burst of events into few renders', async () => {
    const burst: ScanEvent[] = [{ type: 'run-started', run: RUN }];
    for (let i = 1; i <= 200; i += 1) burst.push({ type: 'host-found', address: `10.0.${Math.floor(i / 250)}.${i % 250}`, via: 'tcp' });
    burst.push({ type: 'run-finished', status: 'completed', finishedAt: '2025-01-02T10:01:00.000Z' });
    const app = renderApp(fromArray(burst));
    await app.waitForFrame('Scan completed: 200 devices');
    expect(app.frames.length).toBeLessThan(10);
  });
});

describe('credential consent', () => {
  it('confirms only on y, and says what will happen first', async () => {
    const { ConsentPrompt } = await import('../../src/tui/consent.js');
    for (const [key, expected] of [['y', true], ['n', false], ['\r', false]] as const) {
      let answer: boolean | undefined;
      const { stdin, lastFrame, unmount } = render(<ConsentPrompt facts={{ targets: ['192.168.77.0/24'], attemptsPerService: 3 }} onAnswer={(yes) => (answer = yes)} />);
      const text = (lastFrame() ?? '').replace(/[│╭╮╰╯─\s]+/g, ' ');
      expect(text).toContain('at most 3 tries per service');
      expect(text).toContain('These are my devices');
      await new Promise((resolve) => setTimeout(resolve, 20));
      stdin.write(key);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(answer).toBe(expected);
      unmount();
    }
  });
});
