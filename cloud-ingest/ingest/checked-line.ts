// One telemetry line checked and rewritten for storage in a single pass: identity tags removed from the
// payload and set from the gateway's provisioned identity. The fast path handles lines without escapes or
// string fields with plain string searches (no per-line maps or field arrays: this runs for every line
// of every batch); anything else goes through the general parser.
import { DEVICE_CLASSES } from '../../gateway/pipeline/types.js';
import type { GatewayIdentity } from '../registry/registry.js';
import { checkTimestamp, formatLine, LineError, NUMBER, parseFieldValue, parseLine } from './line-protocol.js';

export interface CheckedLine {
  /** The line to write: payload tags minus township/compound/gateway, then the enforced ones. */
  readonly out: string;
  readonly measurement: string;
  readonly source: string;
  /** The field section as sent (valid), parsed again only if a chart asks for it. */
  readonly fieldText: string;
  readonly fieldCount: number;
  readonly ts: number;
}

const CLASSES = new Set<string>(DEVICE_CLASSES);
const SIMPLE_VALUE = /^(-?\d+[iu]|[tT](rue|RUE)?|[fF](alse|ALSE)?)$/;

function identitySuffix(identity: GatewayIdentity): string {
  return `,township=${identity.township},compound=${identity.compound},gateway=${identity.gateway}`;
}

/** Checks one line; throws LineError saying what is wrong. */
export function checkLine(line: string, identity: GatewayIdentity, now: number): CheckedLine {
  if (line.includes('\\') || line.includes('"')) return checkGeneralLine(line, identity, now);
  const sp1 = line.indexOf(' ');
  const sp2 = line.indexOf(' ', sp1 + 1);
  if (sp1 < 0 || sp2 < 0) throw new LineError('missing timestamp (ms precision is required)');
  if (line.indexOf(' ', sp2 + 1) >= 0) throw new LineError('unexpected spaces (escape them with \\)');
  const head = line.slice(0, sp1).split(',');
  const measurement = head[0]!;
  if (!CLASSES.has(measurement)) throw new LineError(`measurement "${measurement}" is not a device class (${DEVICE_CLASSES.join(', ')})`);
  let out = measurement;
  let source: string | undefined;
  for (let i = 1; i < head.length; i++) {
    const pair = head[i]!;
    const eq = pair.indexOf('=');
    if (eq <= 0 || eq === pair.length - 1 || pair.indexOf('=', eq + 1) >= 0) throw new LineError(`tag ${i}: expected key=value`);
    const key = pair.slice(0, eq);
    if (key === 'township' || key === 'compound' || key === 'gateway') continue;
    if (key === 'source') source = pair.slice(eq + 1);
    out += ',' + pair;
  }
  const fieldText = line.slice(sp1 + 1, sp2);
  let fieldCount = 0;
  for (const pair of fieldText.split(',')) {
    const eq = pair.indexOf('=');
    fieldCount++;
    if (eq <= 0) throw new LineError(`field ${fieldCount}: expected key=value`);
    const value = pair.slice(eq + 1);
    if (!NUMBER.test(value) && !SIMPLE_VALUE.test(value)) parseFieldValue(value, pair.slice(0, eq)); // throws, naming the field
  }
  const ts = checkTimestamp(line.slice(sp2 + 1), { has: () => source !== undefined }, now);
  return { out: `${out}${identitySuffix(identity)} ${fieldText} ${ts}`, measurement, source: source!, fieldText, fieldCount, ts };
}

function checkGeneralLine(line: string, identity: GatewayIdentity, now: number): CheckedLine {
  const p = parseLine(line, now);
  p.tags.delete('township');
  p.tags.delete('compound');
  p.tags.delete('gateway');
  p.tags.set('township', identity.township);
  p.tags.set('compound', identity.compound);
  p.tags.set('gateway', identity.gateway);
  return { out: formatLine(p, p.tags), measurement: p.measurement, source: p.tags.get('source')!, fieldText: p.fieldText, fieldCount: p.fields.length, ts: p.ts };
}
