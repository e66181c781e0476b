// The in-place checks of a telemetry line's fields and timestamp (issue 13: the safer path costs no
// throughput) give the full checks' verdict or step aside: plainDecimalFieldCount and plainTimestampAt
// either accept what checkFieldKey + parseFieldValue and checkTimestamp accept, with the same count and
// value, or return -1 so the caller checks in full. A seeded corpus of field sections near the grammar's
// edges, and the edges by name; then the same through checkLine with a known head, against a line of
// the same fields seen for the first time.
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../bench/seeded-random.js';
import { checkLine, identitySuffix, type CheckedHead } from '../../cloud-ingest/ingest/checked-line.js';
import { checkFieldKey, checkTimestamp, LineError, parseFieldValue, plainDecimalFieldCount, plainTimestampAt } from '../../cloud-ingest/ingest/line-protocol.js';

const now = Date.UTC(2026, 5, 1, 12);

/** The full check of a plain field section: its field count, or the refusal's message. */
function fullCheck(text: string): number | string {
  try {
    const seen: string[] = [];
    const pairs = text.split(',');
    pairs.forEach((pair, n) => {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new LineError(`field ${n + 1}: expected key=value`);
      checkFieldKey(pair.slice(0, eq), seen, n + 1, true);
      parseFieldValue(pair.slice(eq + 1), pair.slice(0, eq));
    });
    return pairs.length;
  } catch (error) {
    if (!(error instanceof LineError)) throw error;
    return error.message;
  }
}

const PIECES = ['0', '1', '7', '9', '12', '230.5', '.', '-', '+', 'e', 'E', '5', '999999999999999', '1000000000000000', '=', ',', 'i', 'u', 't', 'true', 'F', 'x', 'a', 'b', 'volt'];

function randomSection(random: () => number): string {
  const fields = 1 + Math.floor(random() * 4);
  const out: string[] = [];
  for (let f = 0; f < fields; f++) {
    const key = random() < 0.8 ? ['a', 'b', 'voltage', 'c'][Math.floor(random() * 4)]! : '';
    let value = '';
    const pieces = 1 + Math.floor(random() * 4);
    for (let p = 0; p < pieces; p++) value += PIECES[Math.floor(random() * PIECES.length)]!;
    out.push(random() < 0.95 ? `${key}=${value}` : value);
  }
  return out.join(',') + (random() < 0.05 ? ',' : '');
}

describe('plainDecimalFieldCount', () => {
  it('agrees with the full check wherever it answers, on 20,000 seeded field sections, and answers for most good ones', () => {
    const random = seededRandom(20261203);
    let answered = 0;
    let good = 0;
    for (let n = 0; n < 20_000; n++) {
      const text = randomSection(random);
      const fast = plainDecimalFieldCount(text);
      const full = fullCheck(text);
      if (typeof full === 'number') good++;
      if (fast >= 0) {
        answered++;
        expect(full, text).toBe(fast);
      }
    }
    // Not a vacuous agreement: the corpus has good sections and the fast path takes many of them.
    expect(good).toBeGreaterThan(500);
    expect(answered).toBeGreaterThan(good / 4);
  });

  it('answers for plain decimals and steps aside for everything else', () => {
    expect(plainDecimalFieldCount('voltage=230.5,current=1.25,power_factor=0.95,energy=12345')).toBe(4);
    expect(plainDecimalFieldCount('a=-1,b=+2,c=.5,d=7.')).toBe(4);
    expect(plainDecimalFieldCount('a=999999999999999.999')).toBe(1);
    for (const text of ['a=1000000000000000', 'a=1e3', 'a=1i', 'a=1u', 'a=t', 'a=true', 'a=1,a=2', 'a=1,', '=1', 'a=', 'a=.', 'a=-', 'a==1', 'a=1=2', 'a=1.2.3', ',a=1', 'a', '']) {
      expect(plainDecimalFieldCount(text), text).toBe(-1);
    }
    // Past the 64 fields it keeps in place, the full check decides.
    const many = Array.from({ length: 65 }, (_, i) => `f${i}=1`).join(',');
    expect(plainDecimalFieldCount(many)).toBe(-1);
    expect(plainDecimalFieldCount(Array.from({ length: 64 }, (_, i) => `f${i}=1`).join(','))).toBe(64);
  });
});

describe('plainTimestampAt', () => {
  it('gives checkTimestamp\'s value for a plain 13-digit time in range, -1 for anything else', () => {
    const line = `x ${now}`;
    expect(plainTimestampAt(line, 2, true, now)).toBe(checkTimestamp(String(now), true, now));
    expect(plainTimestampAt(`x ${now + 24 * 3600_000}`, 2, true, now)).toBe(now + 24 * 3600_000);
    for (const [text, hasSource] of [[`0${now}`, true], [String(now + 24 * 3600_000 + 1), true], [String(Date.UTC(2019, 11, 31)), true], [String(now), false], [`${now}x`, true], ['', true], ['12345678901234', true]] as const) {
      expect(plainTimestampAt(`x ${text}`, 2, hasSource, now), text).toBe(-1);
    }
    // Leading zeros stay the full check's to read (the line's own text would not be the number's).
    expect(checkTimestamp(`0${now}`, true, now)).toBe(now);
  });
});

describe('checkLine with a known head', () => {
  const identity = { township: 'town', compound: 'c1', gateway: 'gw-1' };
  const suffix = identitySuffix(identity);
  const heads = new Map<string, CheckedHead>();
  const known = { get: (head: string) => heads.get(head), remember: (head: string, checked: CheckedHead) => void heads.set(head, checked) };
  const refusal = (line: string, withHeads: boolean): string | undefined => {
    try {
      checkLine(line, identity, now, suffix, withHeads ? known : undefined);
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  };

  it('writes what a first sighting writes, and refuses what it refuses, with the same reason', () => {
    const head = 'power,building=1,source=meter-1';
    checkLine(`${head} v=1 ${now}`, identity, now, suffix, known);
    expect(heads.has(head)).toBe(true);
    const random = seededRandom(7);
    for (let n = 0; n < 3000; n++) {
      const ts = random() < 0.9 ? String(now - Math.floor(random() * 1e6)) : ['0', `0${now}`, `${now}5`, 'x'][Math.floor(random() * 4)]!;
      const line = `${head} ${randomSection(random)} ${ts}`;
      const first = refusal(line, false);
      expect(refusal(line, true), line).toBe(first);
      if (first === undefined) expect(checkLine(line, identity, now, suffix, known), line).toEqual(checkLine(line, identity, now, suffix));
    }
  });
});
