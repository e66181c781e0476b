// The line-protocol checks one value at a time (issue 18, mutation): every field kind and its edges
// (floats, 64-bit integers, booleans, quoted strings and their escapes), the magnitude and range bounds,
// label characters and NFC, tag and field keys, line size, timestamps, serialising, and the fast path
// of checkLine agreeing with the general parser. Pure functions: fast enough for the mutation run.
import { describe, expect, it } from 'vitest';
import { checkLine, identitySuffix } from '../../cloud-ingest/ingest/checked-line.js';
import { seriesHash } from '../../cloud-ingest/ingest/series-budget.js';
import {
  checkFieldKey, checkLineSize, checkMeasurement, checkTag, checkText, checkTimestamp, formatLine, isPlainAscii, LineError, lineTooLong, MAX_ABS_VALUE, MAX_LINE_BYTES,
  MAX_TAG_VALUE_CHARS, parseFields, parseFieldValue, parseLine, type ParsedLine,
} from '../../cloud-ingest/ingest/line-protocol.js';

const now = Date.UTC(2026, 5, 1, 12);
const identity = { township: 'town', compound: 'c1', gateway: 'gw-1' };
const refusal = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(LineError);
    expect((error as LineError).code).toBe('LINE_INVALID');
    return (error as Error).message;
  }
  throw new Error('expected a LineError');
};

describe('field values', () => {
  it.each([
    ['1', 1], ['-1.5', -1.5], ['+2', 2], ['.5', 0.5], ['5.', 5], ['007', 7], ['1e3', 1000], ['1E-2', 0.01], ['2e+2', 200], ['-.5e1', -5],
    [String(MAX_ABS_VALUE), MAX_ABS_VALUE], [`-${MAX_ABS_VALUE}`, -MAX_ABS_VALUE],
  ])('float %s', (text, value) => {
    expect(parseFieldValue(text, 'v')).toBe(value);
  });

  it.each(['-', '+', '.', '-.', 'e5', '.e5', '1e', '1e+', '1e-', '1.2.3', '1x', '--1', '+-1', '1e5x', 'abc', 'NaN', 'Infinity', '0x10', '1 ', ' 1', '1,5', ''])('not a number: %j', (text) => {
    expect(refusal(() => parseFieldValue(text, 'v'))).toMatch(/^field "v": .* is not a number, boolean, integer or quoted string$/);
  });

  it('a float beyond the magnitude bound or not finite is refused for that', () => {
    expect(refusal(() => parseFieldValue('1e16', 'v'))).toMatch(/^field "v": 1e16 is beyond ±1000000000000000 /);
    expect(refusal(() => parseFieldValue('-1000000000000000.5', 'v'))).toMatch(/is beyond ±/);
    expect(refusal(() => parseFieldValue('1e400', 'v'))).toBe('field "v": "1e400" is not a finite number');
  });

  it.each([
    ['3i', 3], ['-3i', -3], ['3u', 3], ['0i', 0], ['00i', 0], ['0u', 0], ['-0i', 0], [`${'0'.repeat(30)}5i`, 5],
    [`${MAX_ABS_VALUE}i`, MAX_ABS_VALUE], [`-${MAX_ABS_VALUE}i`, -MAX_ABS_VALUE], [`${MAX_ABS_VALUE}u`, MAX_ABS_VALUE],
  ])('integer %s', (text, value) => {
    expect(parseFieldValue(text, 'n')).toBe(value);
  });

  it.each(['i', 'u', '-i', '-u', '3.5i', '1e3i', '+3i', '3ii', 'x3i', '3iu'])('not an integer and no other kind either: %j', (text) => {
    expect(refusal(() => parseFieldValue(text, 'n'))).toMatch(/is not a number, boolean, integer or quoted string$/);
  });

  it('a negative unsigned integer is refused for its sign', () => {
    expect(refusal(() => parseFieldValue('-3u', 'n'))).toBe('field "n": unsigned integer "-3u" is negative');
    expect(refusal(() => parseFieldValue('-0u', 'n'))).toMatch(/is negative/);
  });

  it('checks the 64-bit range exactly, and the magnitude bound inside it', () => {
    const range = /is beyond the 64-bit range$/;
    const magnitude = /is beyond ±1000000000000000 /;
    expect(refusal(() => parseFieldValue('9223372036854775807i', 'n'))).toMatch(magnitude);
    expect(refusal(() => parseFieldValue('9223372036854775808i', 'n'))).toMatch(range);
    expect(refusal(() => parseFieldValue('-9223372036854775808i', 'n'))).toMatch(magnitude);
    expect(refusal(() => parseFieldValue('-9223372036854775809i', 'n'))).toMatch(range);
    expect(refusal(() => parseFieldValue('18446744073709551615u', 'n'))).toMatch(magnitude);
    expect(refusal(() => parseFieldValue('18446744073709551616u', 'n'))).toMatch(range);
    expect(refusal(() => parseFieldValue('9223372036854775808u', 'n'))).toMatch(magnitude);
    expect(refusal(() => parseFieldValue('1000000000000001i', 'n'))).toMatch(magnitude);
    // More than 20 significant digits is out of range whatever they are; leading zeros do not count.
    expect(refusal(() => parseFieldValue(`1${'0'.repeat(20)}u`, 'n'))).toMatch(range);
    expect(refusal(() => parseFieldValue(`${'0'.repeat(25)}18446744073709551616u`, 'n'))).toMatch(range);
    expect(refusal(() => parseFieldValue(`${'0'.repeat(25)}18446744073709551615u`, 'n'))).toMatch(magnitude);
  });

  it('shortens long values in its messages', () => {
    const text = `${'1'.repeat(50)}x`;
    expect(refusal(() => parseFieldValue(text, 'v'))).toBe(`field "v": "${'1'.repeat(40)}…(51 chars)" is not a number, boolean, integer or quoted string`);
    const forty = `${'1'.repeat(39)}x`;
    expect(refusal(() => parseFieldValue(forty, 'v'))).toContain(`"${forty}"`);
  });

  it.each([['t', true], ['T', true], ['true', true], ['True', true], ['TRUE', true], ['f', false], ['F', false], ['false', false], ['False', false], ['FALSE', false]])('boolean %s', (text, value) => {
    expect(parseFieldValue(text, 'b')).toBe(value);
  });

  it.each(['tRue', 'fals', 'f1', 'TR', 'yes', 'tt'])('not a boolean: %s', (text) => {
    expect(refusal(() => parseFieldValue(text, 'b'))).toMatch(/is not a number, boolean, integer or quoted string$/);
  });

  it('quoted strings: escaped quote and backslash unescaped, other backslashes kept, NFC, no control characters', () => {
    expect(parseFieldValue('"abc"', 's')).toBe('abc');
    expect(parseFieldValue('""', 's')).toBe('');
    expect(parseFieldValue('"a b, c=d"', 's')).toBe('a b, c=d');
    expect(parseFieldValue('"a\\"b"', 's')).toBe('a"b');
    expect(parseFieldValue('"a\\\\b"', 's')).toBe('a\\b');
    expect(parseFieldValue('"a\\nb"', 's')).toBe('a\\nb');
    expect(parseFieldValue('"\\\\\\"x"', 's')).toBe('\\"x');
    // A backslash before the closing quote escapes nothing inside the value (parseFields finds such a string unterminated).
    expect(parseFieldValue('"tail\\"', 's')).toBe('tail\\');
    expect(parseFieldValue('"e\u0301"', 's')).toBe('\u00e9');
    expect(refusal(() => parseFieldValue('"a\u0001b"', 's'))).toBe('field "s": control or invisible character U+0001 at offset 1');
    expect(refusal(() => parseFieldValue('"\\\\\u200b"', 's'))).toBe('field "s": control or invisible character U+200B at offset 1');
    // One double quote is not a string (and no number).
    expect(refusal(() => parseFieldValue('"', 's'))).toMatch(/is not a number/);
    expect(refusal(() => parseFieldValue('"abc', 's'))).toMatch(/is not a number/);
  });
});

describe('labels', () => {
  it('plain printable ASCII is 0x20..0x7e', () => {
    expect(isPlainAscii(' ~azAZ09')).toBe(true);
    expect(isPlainAscii('')).toBe(true);
    for (const c of ['\u001f', '\u007f', '\t', '\u00e9', '\u4e2d']) expect(isPlainAscii(`a${c}`)).toBe(false);
  });

  it('refuses control and invisible characters, naming code point and offset, and normalises to NFC', () => {
    const bad = ['\u0000', '\u001f', '\u007f', '\u0085', '\u009f', '\u200b', '\u200f', '\u202a', '\u202e', '\u2060', '\u2064', '\u2066', '\u2069', '\ufeff'];
    for (const c of bad) expect(refusal(() => checkText(`中${c}`, 'x'))).toBe(`x: control or invisible character U+${c.charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()} at offset 1`);
    for (const c of ['\u00a0', '\u2010', '\u2065', '\u206a', '\u4e2d', '\u00e9']) expect(checkText(`a${c}`, 'x')).toBe(`a${c}`);
    expect(checkText('Cafe\u0301', 'x')).toBe('Caf\u00e9');
    expect(checkText('plain', 'x')).toBe('plain');
  });

  it('tags: contract keys only, a value of 1..256 characters, checked unless the line is plain ASCII', () => {
    for (const key of ['building', 'compound', 'floor', 'gateway', 'point', 'room', 'source', 'township', 'unit']) expect(checkTag(key, 'v')).toBe('v');
    expect(refusal(() => checkTag('Township', 'v'))).toBe('tag key "Township" is not one of building, compound, floor, gateway, point, room, source, township, unit');
    expect(refusal(() => checkTag('source', ''))).toBe('tag "source": empty value');
    expect(checkTag('source', 'x'.repeat(MAX_TAG_VALUE_CHARS))).toHaveLength(MAX_TAG_VALUE_CHARS);
    expect(refusal(() => checkTag('source', 'x'.repeat(MAX_TAG_VALUE_CHARS + 1)))).toBe('tag "source": value of 257 chars is over 256');
    expect(refusal(() => checkTag('source', 'a\u200bb'))).toBe('tag "source": control or invisible character U+200B at offset 1');
    expect(checkTag('room', 'e\u0301')).toBe('\u00e9');
    // The caller found the whole line printable ASCII: nothing to look at, the value as it is.
    expect(checkTag('room', 'e\u0301', true)).toBe('e\u0301');
  });

  it('field keys: not empty, not twice, checked unless plain', () => {
    const seen: string[] = [];
    checkFieldKey('a', seen, 1);
    checkFieldKey('b', seen, 2);
    expect(seen).toEqual(['a', 'b']);
    expect(refusal(() => checkFieldKey('a', seen, 3))).toBe('field "a" given twice');
    expect(refusal(() => checkFieldKey('', seen, 4))).toBe('field 4: expected key=value');
    expect(refusal(() => checkFieldKey('k\u0007', [], 2))).toBe('field 2 key: control or invisible character U+0007 at offset 1');
    checkFieldKey('k\u0007', [], 2, true);
  });

  it('the measurement is a device class', () => {
    for (const m of ['smoke', 'water_level', 'power', 'residual_current', 'temperature', 'door', 'gateway']) checkMeasurement(m);
    expect(refusal(() => checkMeasurement('cpu'))).toMatch(/^measurement "cpu" is not a device class \(smoke, water_level/);
  });
});

describe('field sections', () => {
  it('splits on commas outside quoted strings, keeping order and kinds', () => {
    expect(parseFields('a=1,b="x,y",c=t,d=2i')).toEqual([['a', 1], ['b', 'x,y'], ['c', true], ['d', 2]]);
    expect(parseFields('s="a\\"b,c",n=1')).toEqual([['s', 'a"b,c'], ['n', 1]]);
    expect(parseFields('s="",n=1')).toEqual([['s', ''], ['n', 1]]);
    expect(parseFields('k\\,ey=1')).toEqual([['k,ey', 1]]);
  });

  it('refuses malformed sections, naming the field', () => {
    expect(refusal(() => parseFields(''))).toBe('no fields');
    expect(refusal(() => parseFields('=1'))).toBe('field 1: expected key=value');
    expect(refusal(() => parseFields('a=1,=2'))).toBe('field 2: expected key=value');
    expect(refusal(() => parseFields('a'))).toBe('field 1: expected key=value');
    expect(refusal(() => parseFields('a,b=1'))).toBe('field 1: expected key=value');
    expect(refusal(() => parseFields('a=1,'))).toBe('trailing comma after the last field');
    expect(refusal(() => parseFields('a=1,b=2,'))).toBe('trailing comma after the last field');
    expect(refusal(() => parseFields('a="open'))).toBe('field "a": unterminated string');
    expect(refusal(() => parseFields('a="open\\"'))).toBe('field "a": unterminated string');
    expect(refusal(() => parseFields('a="x"y,b=1'))).toBe('field "a": unexpected text after the value');
    expect(refusal(() => parseFields('a=1,a=2'))).toBe('field "a" given twice');
    expect(refusal(() => parseFields('a=,b=1'))).toMatch(/^field "a": "" is not a number/);
  });
});

describe('line size', () => {
  it('passes a line of exactly the limit and refuses one byte more, counting UTF-8 bytes', () => {
    checkLineSize('x'.repeat(MAX_LINE_BYTES));
    expect(refusal(() => checkLineSize('x'.repeat(MAX_LINE_BYTES + 1)))).toBe(`line of over ${MAX_LINE_BYTES + 1} bytes is over the ${MAX_LINE_BYTES}-byte limit`);
    // Under the limit in characters, over it in bytes (3 bytes each).
    const euros = '€'.repeat(MAX_LINE_BYTES / 2);
    expect(refusal(() => checkLineSize(euros))).toBe(`line of ${(3 * MAX_LINE_BYTES) / 2} bytes is over the ${MAX_LINE_BYTES}-byte limit`);
    // Two bytes a character: 43,690 bytes in 21,845 characters passes; so does a third of the limit in three-byte characters.
    checkLineSize('é'.repeat(Math.floor(MAX_LINE_BYTES / 3) + 1));
    checkLineSize('€'.repeat(Math.floor(MAX_LINE_BYTES / 3)));
    expect(refusal(() => checkLineSize(`${'€'.repeat(Math.floor(MAX_LINE_BYTES / 3))}xx`))).toBe(`line of ${MAX_LINE_BYTES + 1} bytes is over the ${MAX_LINE_BYTES}-byte limit`);
    expect(lineTooLong(7).message).toBe(`line of over 7 bytes is over the ${MAX_LINE_BYTES}-byte limit`);
  });
});

describe('timestamps', () => {
  const MIN_TS = Date.UTC(2020, 0, 1);
  it('take an integer of ms from 2020 to a day ahead, and need the source tag', () => {
    expect(checkTimestamp(String(now), true, now)).toBe(now);
    expect(checkTimestamp(String(MIN_TS), true, now)).toBe(MIN_TS);
    expect(checkTimestamp(String(now + 86_400_000), true, now)).toBe(now + 86_400_000);
    expect(refusal(() => checkTimestamp(String(MIN_TS - 1), true, now))).toMatch(/^timestamp 1577836799999 is outside 2020-01-01T00:00:00.000Z \.\. now\+1d/);
    expect(refusal(() => checkTimestamp(String(now + 86_400_001), true, now))).toMatch(/is outside/);
    for (const text of ['', '12a', '-1', '1.5', ' 1', '1'.repeat(17)]) expect(refusal(() => checkTimestamp(text, true, now))).toMatch(/is not an integer in ms$/);
    // Sixteen digits is still a number (and far in the future).
    expect(refusal(() => checkTimestamp('1'.repeat(16), true, now))).toMatch(/is outside/);
    expect(refusal(() => checkTimestamp(String(now), false, now))).toBe('missing tag "source"');
  });
});

describe('whole lines', () => {
  it('parses tags in order, escaped, with the field section verbatim', () => {
    const p = parseLine(`power,source=m\\ 1,building=3\\,a,room=r\\=1 v=230.5,s="a b",ok=t ${now}`, now);
    expect(p.measurement).toBe('power');
    expect([...p.tags]).toEqual([['source', 'm 1'], ['building', '3,a'], ['room', 'r=1']]);
    expect(p.fieldText).toBe('v=230.5,s="a b",ok=t');
    expect(p.fields).toEqual([['v', 230.5], ['s', 'a b'], ['ok', true]]);
    expect(p.ts).toBe(now);
    expect(parseLine(`door,source=d s="x\\" y" ${now}`, now).fields).toEqual([['s', 'x" y']]);
  });

  it('refuses a malformed line with what is wrong', () => {
    expect(refusal(() => parseLine(`power,source=a,source=b v=1 ${now}`, now))).toBe('tag "source" given twice');
    expect(refusal(() => parseLine(`power,=a v=1 ${now}`, now))).toBe('tag 1: expected key=value');
    expect(refusal(() => parseLine(`power,source=a,room v=1 ${now}`, now))).toBe('tag 2: expected key=value');
    expect(refusal(() => parseLine('power,source=a', now))).toBe('expected a space before the fields');
    expect(refusal(() => parseLine('power,source=a v=1', now))).toBe('missing timestamp (ms precision is required)');
    expect(refusal(() => parseLine(`power,source=a s="a ${now}`, now))).toBe('missing timestamp (ms precision is required)');
    expect(refusal(() => parseLine(`power,building=1 v=1 ${now}`, now))).toBe('missing tag "source"');
    expect(refusal(() => parseLine(`cpu,source=a v=1 ${now}`, now))).toMatch(/is not a device class/);
    expect(refusal(() => parseLine(`power,source=a,colour=red v=1 ${now}`, now))).toMatch(/^tag key "colour"/);
  });

  it('serialises with the given tags, escaping keys, values and the measurement', () => {
    const p = parseLine(`power,source=m1 v=1,s="x y" ${now}`, now);
    expect(formatLine(p, new Map([['source', 'm 1'], ['room', 'a,b=c\\d']]))).toBe(`power,source=m\\ 1,room=a\\,b\\=c\\\\d v=1,s="x y" ${now}`);
    expect(formatLine(p, new Map())).toBe(`power v=1,s="x y" ${now}`);
    const odd: ParsedLine = { ...p, measurement: 'a b,c=d\\e' };
    expect(formatLine(odd, new Map([['k=1', 'v']]))).toBe(`a\\ b\\,c=d\\\\e,k\\=1=v v=1,s="x y" ${now}`);
  });
});

describe('checkLine, fast path and general parser', () => {
  const suffix = identitySuffix(identity);

  it('sets the identity tags from the registry on both paths, with the series key and counts', () => {
    expect(suffix).toBe(',township=town,compound=c1,gateway=gw-1');
    const fast = checkLine(`power,source=m1,township=evil,building=3,gateway=x,compound=y v=1,w=2i ${now}`, identity, now, suffix);
    expect(fast).toEqual({ out: `power,source=m1,building=3${suffix} v=1,w=2i ${now}`, measurement: 'power', source: 'm1', series: `power,source=m1,building=3${suffix}`, seriesHash: seriesHash(`power,source=m1,building=3${suffix}`), fieldText: 'v=1,w=2i', fieldCount: 2, ts: now });
    const general = checkLine(`power,source=m1,township=evil,building=3 v=1,s="a b" ${now}`, identity, now);
    expect(general).toEqual({ out: `power,source=m1,building=3${suffix} v=1,s="a b" ${now}`, measurement: 'power', source: 'm1', series: `power,source=m1,building=3${suffix}`, seriesHash: seriesHash(`power,source=m1,building=3${suffix}`), fieldText: 'v=1,s="a b"', fieldCount: 2, ts: now });
    expect(checkLine(`power,source=m\\ 1 v=1 ${now}`, identity, now).series).toBe(`power,source=m\\ 1${suffix}`);
  });

  it('refuses on the fast path what the parser refuses', () => {
    const refused = (line: string) => refusal(() => checkLine(line, identity, now, suffix));
    expect(refused(`power,source=a v=1`)).toBe('missing timestamp (ms precision is required)');
    expect(refused(`power,source=a`)).toBe('missing timestamp (ms precision is required)');
    expect(refused(`power,source=a v=1 ${now} 1`)).toBe('unexpected spaces (escape them with \\)');
    expect(refused(`cpu,source=a v=1 ${now}`)).toMatch(/is not a device class/);
    expect(refused(`power,=a v=1 ${now}`)).toBe('tag 1: expected key=value');
    expect(refused(`power,source v=1 ${now}`)).toBe('tag 1: expected key=value');
    expect(refused(`power,source=a=b v=1 ${now}`)).toBe('tag 1: expected key=value');
    expect(refused(`power,source=a,room=1,room=2 v=1 ${now}`)).toBe('tag "room" given twice');
    expect(refused(`power,source=a,unit=1,floor=2,source=b v=1 ${now}`)).toBe('tag "source" given twice');
    expect(refused(`power,source=a =1 ${now}`)).toBe('field 1: expected key=value');
    expect(refused(`power,source=a v=1,w ${now}`)).toBe('field 2: expected key=value');
    expect(refused(`power,source=a v=1,v=2 ${now}`)).toBe('field "v" given twice');
    expect(refused(`power,source=a v=x ${now}`)).toMatch(/^field "v": "x" is not a number/);
    expect(refused(`power,building=1 v=1 ${now}`)).toBe('missing tag "source"');
    expect(refused(`power,source=a v=1 ${MIN_TS_MINUS_ONE}`)).toMatch(/is outside/);
    expect(refused(`power,source=a\u200b v=1 ${now}`)).toMatch(/U\+200B/);
    expect(refused(`power,source=a v\u0007=1 ${now}`)).toMatch(/^field 1 key: control or invisible character U\+0007/);
    expect(refused('x'.repeat(MAX_LINE_BYTES + 1))).toMatch(/over the 65536-byte limit/);
  });

  it('takes a line with only a key of a contract tag in NFC, and a non-ASCII line through the checks', () => {
    expect(checkLine(`power,source=e\u0301 v=1 ${now}`, identity, now).source).toBe('\u00e9');
    expect(checkLine(`power,source=中 v=1 ${now}`, identity, now).out).toBe(`power,source=中${suffix} v=1 ${now}`);
  });
});

const MIN_TS_MINUS_ONE = Date.UTC(2020, 0, 1) - 1;
