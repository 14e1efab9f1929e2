// One row per device; the selected row is marked and inverted. Long lists scroll with the selection.
import { Box, Text } from 'ink';
import type { ReactElement } from 'react';
import type { HostView } from '../core/reduce.js';
import { worstSeverity } from '../core/reduce.js';
import { SEVERITY_COLOURS, deviceLabel, printable } from './format.js';

const COLUMNS = { address: 17, mac: 19, device: 34, ports: 7 } as const;
/** On a narrow terminal only the device name gives up room; addresses and MACs stay whole. */
const DEVICE_COLUMN = 2;
/** Fits "critical"; a fixed width keeps every row the same length so the columns line up. */
const WORST_WIDTH = 8;

function Row({ cells, selected, worst }: { cells: [string, string, string, string]; selected: boolean; worst: ReactElement }) {
  return (
    <Box>
      <Box flexShrink={0}>
        <Text>{selected ? '› ' : '  '}</Text>
      </Box>
      {cells.map((cell, index) => (
        <Box key={index} width={Object.values(COLUMNS)[index]!} flexShrink={index === DEVICE_COLUMN ? 1 : 0} paddingRight={1}>
          <Text inverse={selected} wrap="truncate">
            {cell}
          </Text>
        </Box>
      ))}
      <Box flexShrink={0} width={WORST_WIDTH}>
        {worst}
      </Box>
    </Box>
  );
}

export function DeviceList({ hosts, selected, rows }: { hosts: readonly HostView[]; selected: number; rows: number }) {
  if (hosts.length === 0) return <Text dimColor>Looking for devices…</Text>;
  // Keep the selection inside the window of visible rows.
  const start = Math.max(0, Math.min(selected - Math.floor(rows / 2), hosts.length - rows));
  const visible = hosts.slice(start, start + rows);
  return (
    <Box flexDirection="column">
      <Box>
        <Box flexShrink={0}>
          <Text>{'  '}</Text>
        </Box>
        {(['address', 'MAC', 'device', 'ports'] as const).map((label, index) => (
          <Box key={label} width={Object.values(COLUMNS)[index]!} flexShrink={index === DEVICE_COLUMN ? 1 : 0} paddingRight={1}>
            <Text dimColor>{label}</Text>
          </Box>
        ))}
        <Box flexShrink={0} width={WORST_WIDTH}>
          <Text dimColor>worst</Text>
        </Box>
      </Box>
      {start > 0 ? <Text dimColor>{`  … ${start} more above`}</Text> : null}
      {visible.map((view, offset) => {
        const worst = worstSeverity(view.findings);
        return (
          <Row
            key={view.address}
            selected={start + offset === selected}
            cells={[printable(view.address), view.host?.mac ? printable(view.host.mac) : '-', deviceLabel(view), String(view.services.length)]}
            worst={worst ? <Text color={SEVERITY_COLOURS[worst]} bold={worst === 'critical'}>{worst}</Text> : <Text dimColor>-</Text>}
          />
        );
      })}
      {start + rows < hosts.length ? <Text dimColor>{`  … ${hosts.length - start - rows} more below`}</Text> : null}
    </Box>
  );
}
