// One device: what it is and why we think so, its open services, and its findings. The selected
// finding is expanded with its confidence, the practices it breaks and what to do about it.
import { Box, Text } from 'ink';
import type { Finding } from '../core/model.js';
import type { HostView } from '../core/reduce.js';
import { deviceVerdict } from '../core/verdict.js';
import { SEVERITY_COLOURS, deviceLabel, printable, where } from './format.js';

function FindingDetail({ finding }: { finding: Finding }) {
  const practices = finding.practices;
  const facts = Object.entries(finding.evidence.facts);
  return (
    <Box flexDirection="column" borderStyle="single" borderColor={SEVERITY_COLOURS[finding.severity]} paddingX={1}>
      <Text bold>
        <Text color={SEVERITY_COLOURS[finding.severity]}>[{finding.severity}]</Text> {printable(finding.summary)}
      </Text>
      <Text>
        Confidence: {finding.confidence}
        {finding.confidenceReason ? ` (${printable(finding.confidenceReason)})` : ''}
      </Text>
      {practices.en303645.length > 0 ? (
        <Text>EN 303 645: {practices.en303645.map((p) => printable(p)).join(', ')}</Text>
      ) : null}
      {practices.is3c ? <Text>IS3C category: {printable(practices.is3c)}</Text> : null}
      {practices.owasp.length > 0 ? <Text>OWASP IoT: {practices.owasp.map((p) => printable(p)).join(', ')}</Text> : null}
      <Text>What to do: {printable(finding.remedy, 2000)}</Text>
      {facts.length > 0 ? (
        <Text dimColor wrap="truncate">
          Evidence: {facts.map(([name, value]) => `${printable(name, 64)}=${printable(value, 120)}`).join('  ')}
        </Text>
      ) : null}
    </Box>
  );
}

export function DeviceDetail({ view, findings, selected }: { view: HostView; findings: readonly Finding[]; selected: number }) {
  const host = view.host;
  const identity = host?.identity;
  const chosen = findings[selected];
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate">
        {printable(view.address)}
        {host?.mac ? `  ${printable(host.mac)}${host.macRandomised ? ' (randomised)' : ''}` : ''}
        {host?.vendor ? `  ${printable(host.vendor)}` : ''}
      </Text>
      <Text wrap="truncate">
        {deviceLabel(view)}
        {identity?.firmware ? `  firmware ${printable(identity.firmware)}` : ''}
        {host && host.names.length > 0 ? `  ${host.names.map((n) => printable(n)).join(', ')}` : ''}
      </Text>
      {identity && identity.signals.length > 0 ? (
        <Text dimColor wrap="truncate">
          Why: {identity.signals.map((signal) => `${printable(signal.source, 64)} (${Object.entries(signal.fields).map(([field, value]) => `${printable(field, 40)}=${printable(value, 60)}`).join(', ')})`).join('; ')}
        </Text>
      ) : null}
      {host && host.addresses.length > 1 ? <Text dimColor wrap="truncate">Also at: {host.addresses.slice(1).map((a) => printable(a)).join(', ')}</Text> : null}
      <Text bold>{deviceVerdict(findings).headline}</Text>
      <Box flexDirection="column" marginTop={1}>
        <Text bold>Services</Text>
        {view.services.length === 0 ? <Text dimColor>  none found yet</Text> : null}
        {view.services.map((service) => (
          <Text key={`${service.transport}/${service.port}`} wrap="truncate">
            {`  ${service.transport}/${service.port}`.padEnd(12)}
            {[service.name, service.product, service.version]
              .filter((part) => part !== undefined)
              .map((part) => printable(part, 80))
              .join(' ')}
          </Text>
        ))}
      </Box>
      <Box flexDirection="column" marginTop={1}>
        <Text bold>Findings</Text>
        {findings.length === 0 ? <Text dimColor>  none</Text> : null}
        {findings.map((finding, index) => (
          <Text key={`${finding.check}|${where(finding)}|${finding.signature ?? ''}`} wrap="truncate">
            {index === selected ? '› ' : '  '}
            <Text color={SEVERITY_COLOURS[finding.severity]}>[{finding.severity}]</Text>
            <Text inverse={index === selected}> {printable(finding.summary)} </Text>
            <Text dimColor>{where(finding)}</Text>
          </Text>
        ))}
      </Box>
      {chosen ? <FindingDetail finding={chosen} /> : null}
    </Box>
  );
}
