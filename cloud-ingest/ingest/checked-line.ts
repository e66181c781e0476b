// One telemetry line checked and rewritten for storage in a single pass: identity tags removed from the
// payload and set from the gateway's provisioned identity. The fast path handles lines without escapes or
// string fields with plain string searches (no per-line maps or field arrays: this runs for every line
// of every batch); anything else goes through the general parser. Both apply the same checks, each once
// per value (line-protocol.ts): size, contract tag keys, NFC labels, finite bounded numbers. A head
// (measurement and tags) that passed once for a gateway is looked up by its full text and not checked
// again (head-cache.ts); fields and timestamp are checked on every line.
import type { GatewayIdentity } from '../registry/registry.js';
import { own } from './head-cache.js';
import { seriesHash } from './series-budget.js';
import { checkFieldKey, checkLineSize, checkMeasurement, checkTag, checkTimestamp, formatLine, isPlainAscii, LineError, parseFieldValue, parseLine, plainDecimalFieldCount, plainTimestampAt } from './line-protocol.js';

export interface CheckedLine {
  /** The line to write: payload tags minus township/compound/gateway, then the enforced ones. */
  readonly out: string;
  readonly measurement: string;
  readonly source: string;
  /** The series key as written (everything before the fields), for the series budget. */
  readonly series: string;
  /** seriesHash(series), made once per head. */
  readonly seriesHash: number;
  /** The field section as sent (valid), parsed again only if a chart asks for it. */
  readonly fieldText: string;
  readonly fieldCount: number;
  readonly ts: number;
}

/** What a checked head (the line up to its first space) gives, the same for every line that has it. */
export interface CheckedHead {
  readonly measurement: string;
  readonly source: string;
  readonly series: string;
  readonly seriesHash: number;
}

/** One gateway's heads already checked (head-cache.ts): looked up by the head's full text. */
export interface KnownHeads {
  get(head: string): CheckedHead | undefined;
  /** Called only for a head whose whole line passed; copies what it keeps. */
  remember(head: string, checked: CheckedHead): void;
}

/** The enforced identity tags as they end every series key of this gateway (a batch makes it once). */
export function identitySuffix(identity: GatewayIdentity): string {
  return `,township=${identity.township},compound=${identity.compound},gateway=${identity.gateway}`;
}

/**
 * Checks one line; throws LineError saying what is wrong. `suffix`: identitySuffix(identity), made once per
 * batch. `known`: the gateway's heads already checked; a line whose head is among them has only its fields
 * and timestamp checked, and a line that passes in full adds its head.
 */
export function checkLine(line: string, identity: GatewayIdentity, now: number, suffix = identitySuffix(identity), known?: KnownHeads): CheckedLine {
  checkLineSize(line);
  if (line.includes('\\') || line.includes('"')) return checkGeneralLine(line, identity, now);
  const sp1 = line.indexOf(' ');
  const sp2 = line.indexOf(' ', sp1 + 1);
  if (sp1 < 0 || sp2 < 0) throw new LineError('missing timestamp (ms precision is required)');
  if (line.indexOf(' ', sp2 + 1) >= 0) throw new LineError('unexpected spaces (escape them with \\)');
  const headText = line.slice(0, sp1);
  const fieldText = line.slice(sp1 + 1, sp2);
  const hit = known?.get(headText);
  if (hit) {
    // The head passed before (same text, same gateway identity); it has a source tag.
    const fieldCount = checkFields(fieldText, isPlainAscii(fieldText));
    const plainTs = plainTimestampAt(line, sp2 + 1, true, now);
    // A timestamp whose text is its number's: the line's end is written as it came, no number made text again.
    if (plainTs >= 0) return { out: hit.series + line.slice(sp1), measurement: hit.measurement, source: hit.source, series: hit.series, seriesHash: hit.seriesHash, fieldText, fieldCount, ts: plainTs };
    const ts = checkTimestamp(line.slice(sp2 + 1), true, now);
    return { out: `${hit.series} ${fieldText} ${ts}`, measurement: hit.measurement, source: hit.source, series: hit.series, seriesHash: hit.seriesHash, fieldText, fieldCount, ts };
  }
  const plain = isPlainAscii(line);
  const head = headText.split(',');
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
  const fieldCount = checkFields(fieldText, plain);
  const ts = checkTimestamp(line.slice(sp2 + 1), source !== undefined, now);
  // Copies: what a line gives is kept past its batch (the head cache, the write queue), so it must not pin the batch's text.
  const series = own(out + suffix);
  const checked: CheckedHead = { measurement: own(measurement), source: own(source!), series, seriesHash: seriesHash(series) };
  known?.remember(headText, checked);
  return { out: `${series} ${fieldText} ${ts}`, measurement: checked.measurement, source: checked.source, series, seriesHash: checked.seriesHash, fieldText, fieldCount, ts };
}

/** Checks a field section without escapes or quotes; returns how many fields it has. */
function checkFields(fieldText: string, plain: boolean): number {
  if (plain) {
    const count = plainDecimalFieldCount(fieldText);
    if (count >= 0) return count;
  }
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
  return pairs.length;
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
  return { out, measurement: p.measurement, source: p.tags.get('source')!, series, seriesHash: seriesHash(series), fieldText: p.fieldText, fieldCount: p.fields.length, ts: p.ts };
}
