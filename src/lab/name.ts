// Which lab this process works on. Several labs can coexist on one machine (parallel development,
// a CI job beside a demo): `IOTSCAN_LAB` names one, and every namespace, /etc/netns entry and state
// file of that lab carries the name. The default is `iotlab`.
const LAB_NAME_PATTERN = /^[a-z][a-z0-9]{0,7}$/;
const requested = process.env['IOTSCAN_LAB'] ?? 'iotlab';

/** Set when IOTSCAN_LAB is unusable; the lab refuses to run (checkLabPrerequisites) rather than guess. */
export const LAB_NAME_ERROR = LAB_NAME_PATTERN.test(requested)
  ? undefined
  : `IOTSCAN_LAB must be 1-8 lower-case letters or digits, starting with a letter (got "${requested.replace(/[^\x20-\x7e]/g, '?').slice(0, 20)}")`;

export const LAB_NAME = LAB_NAME_ERROR === undefined ? requested : 'iotlab';
