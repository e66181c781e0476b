// One telemetry line checked and rewritten for storage in a single pass: identity tags removed from the
// payload and set from the gateway's provisioned identity. The fast path handles lines without escapes or
// string fields with plain string searches (no per-line maps or field arrays: this runs for every line
// of every batch); anything else goes through the general parser. Both apply the same checks, each once
// per value (line-protocol.ts): size, contract tag keys, NFC labels, finite bounded numbers.
import type { GatewayIdentity } from '../registry/registry.js';
import { checkFieldKey, checkLineSize, checkMeasurement, checkTag, checkTimestamp, formatLine, isPlainAscii, LineError, parseFieldValue, parseLine } from './line-protocol.js';

export interface CheckedLine {
  /** The line to write: payload tags minus township/compound/gateway, then the enforced ones. */
  readonly out: string;
  readonly measurement: string;
  readonly source: string;
  /** The series key as written (everything before the fields), for the series budget. */
  readonly series: string;
  /** The field section as sent (valid), parsed again only if a chart asks for it. */
  readonly fieldText: string;
  readonly fieldCount: number;
  readonly ts: number;
}

/** The enforced identity tags as they end every series key of this gateway (a batch makes it once). */
export function identitySuffix(identity: GatewayIdentity): string {
  return `,township=${identity.township},compound=${identity.compound},gateway=${identity.gateway}`;
}

/** Checks one line; throws LineError saying what is wrong. `suffix`: identitySuffix(identity), made once per batch. */
export function checkLine(line: string, identity: GatewayIdentity, now: number, suffix = identitySuffix(identity)): CheckedLine {
  checkLineSize(line);
  if (line.includes('\\') || line.includes('"')) return checkGeneralLine(line, identity, now);
  const sp1 = line.indexOf(' ');
  const sp2 = line.indexOf(' ', sp1 + 1);
  if (sp1 < 0 || sp2 < 0) throw new LineError('missing timestamp (ms precision is required)');
  if (line.indexOf(' ', sp2 + 1) >= 0) throw new LineError('unexpected spaces (escape them with \\)');
  const plain = isPlainAscii(line);
  const head = line.slice(0, sp1).split(',');
  const measurement = head[0]!;
  checkMeasurement(measurement);
  let out = measurement;
  let source: string | undefined;
  let seenTags = '';
  for (let i = 1; i < head.length; i++) {
    const pair = head[i]!;
    const eq = pair.indexOf('=');
    if (eq <= 0 || pair.indexOf('=', eq + 1) >= 0) throw new LineError(`tag ${i}: expected key=value`);
    const key = pair.slice(0, eq);
    const value = checkTag(key, pair.slice(eq + 1), plain);
    // At most nine contract keys, so a string of the keys seen is cheaper than a Set per line.
    if (seenTags.includes(`,${key},`)) throw new LineError(`tag "${key}" given twice`);
    seenTags += `,${key},`;
    if (key === 'township' || key === 'compound' || key === 'gateway') continue;
    if (key === 'source') source = value;
    out += `,${key}=${value}`;
  }
  const fieldText = line.slice(sp1 + 1, sp2);
  const pairs = fieldText.split(',');
  const seenFields: string[] = [];
  for (let n = 0; n < pairs.length; n++) {
    const pair = pairs[n]!;
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new LineError(`field ${n + 1}: expected key=value`);
    const key = pair.slice(0, eq);
    checkFieldKey(key, seenFields, n + 1, plain);
    parseFieldValue(pair.slice(eq + 1), key); // throws, naming the field
  }
  const ts = checkTimestamp(line.slice(sp2 + 1), source !== undefined, now);
  const series = out + suffix;
  return { out: `${series} ${fieldText} ${ts}`, measurement, source: source!, series, fieldText, fieldCount: pairs.length, ts };
}

function checkGeneralLine(line: string, identity: GatewayIdentity, now: number): CheckedLine {
  const p = parseLine(line, now);
  p.tags.delete('township');
  p.tags.delete('compound');
  p.tags.delete('gateway');
  p.tags.set('township', identity.township);
  p.tags.set('compound', identity.compound);
  p.tags.set('gateway', identity.gateway);
  const out = formatLine(p, p.tags);
  const series = out.slice(0, out.length - p.fieldText.length - String(p.ts).length - 2);
  return { out, measurement: p.measurement, source: p.tags.get('source')!, series, fieldText: p.fieldText, fieldCount: p.fields.length, ts: p.ts };
}
