// The wire contract's parsers and rules on their own (issue 18, mutation of contract/wire.ts and
// vocabulary.ts; before, only the end-to-end ingest and uplink stage tests reached them): every topic the
// contract names parses to its kind and ids, anything else to undefined; a receipt payload parses only
// when every item is one (never throws); a gateway's downlink topics are exactly its cmd and receipt.
import { describe, expect, it } from 'vitest';
import { ALARM_LEVELS, alarmLevelRank } from '../../contract/vocabulary.js';
import { isDownlinkTopic, parseReceipt, parseTopic, topics } from '../../contract/wire.js';

describe('wire topics', () => {
  it('parses every topic the contract builds back to its kind and ids', () => {
    expect(parseTopic(topics.telemetry('gw-1', 'b_1'))).toEqual({ kind: 'telemetry', gateway: 'gw-1', batchId: 'b_1' });
    expect(parseTopic(topics.alarm('gw-1', 'e-1'))).toEqual({ kind: 'alarm', gateway: 'gw-1', eventId: 'e-1' });
    expect(parseTopic(topics.status('gw-1'))).toEqual({ kind: 'status', gateway: 'gw-1' });
    expect(parseTopic(topics.command('gw-1'))).toEqual({ kind: 'command', gateway: 'gw-1' });
    expect(parseTopic(topics.commandResult('gw-1'))).toEqual({ kind: 'commandResult', gateway: 'gw-1' });
    expect(parseTopic(topics.receipt('gw-1'))).toEqual({ kind: 'receipt', gateway: 'gw-1' });
    expect(parseTopic(`lm/v1/${'g'.repeat(64)}/t/${'b'.repeat(64)}`)).toMatchObject({ kind: 'telemetry' });
  });

  it.each([
    ['another root', 'xx/v1/gw-1/status'],
    ['another version', 'lm/v2/gw-1/status'],
    ['no gateway', 'lm/v1'],
    ['an empty gateway', 'lm/v1//status'],
    ['a gateway id with a dot', 'lm/v1/gw.1/status'],
    ['a gateway id of 65 characters', `lm/v1/${'g'.repeat(65)}/status`],
    ['a bare gateway', 'lm/v1/gw-1'],
    ['telemetry without a batch id', 'lm/v1/gw-1/t'],
    ['telemetry with an empty batch id', 'lm/v1/gw-1/t/'],
    ['a batch id with a dot', 'lm/v1/gw-1/t/b.1'],
    ['telemetry with a level more', 'lm/v1/gw-1/t/b1/x'],
    ['an alarm without an event id', 'lm/v1/gw-1/a'],
    ['an event id with a plus', 'lm/v1/gw-1/a/+'],
    ['an alarm with a level more', 'lm/v1/gw-1/a/e1/x'],
    ['status with a level more', 'lm/v1/gw-1/status/x'],
    ['cmd with another sub-level', 'lm/v1/gw-1/cmd/other'],
    ['cmd/result with a level more', 'lm/v1/gw-1/cmd/result/x'],
    ['receipt with a level more', 'lm/v1/gw-1/receipt/x'],
    ['an unknown kind', 'lm/v1/gw-1/x/y'],
    ['a two-level unknown kind', 'lm/v1/gw-1/status/result'],
  ])('parses %s to undefined', (_what, topic) => {
    expect(parseTopic(topic)).toBeUndefined();
  });

  it('names only the own cmd and receipt topics downlink', () => {
    expect(isDownlinkTopic('gw-1', topics.command('gw-1'))).toBe(true);
    expect(isDownlinkTopic('gw-1', topics.receipt('gw-1'))).toBe(true);
    for (const topic of [topics.command('gw-2'), topics.receipt('gw-2'), topics.commandResult('gw-1'), topics.status('gw-1'), topics.telemetry('gw-1', 'b')]) expect(isDownlinkTopic('gw-1', topic), topic).toBe(false);
  });
});

describe('receipt payloads', () => {
  it('parses stored and refused items from a Buffer or a string, with a reason cut to 500 characters', () => {
    const receipt = { v: 1, items: [{ kind: 't', id: 'b-1', status: 'stored' }, { kind: 'a', id: 'e_1', status: 'refused', reason: 'r'.repeat(600) }] };
    const expected = { v: 1, items: [{ kind: 't', id: 'b-1', status: 'stored' }, { kind: 'a', id: 'e_1', status: 'refused', reason: 'r'.repeat(500) }] };
    expect(parseReceipt(Buffer.from(JSON.stringify(receipt)))).toEqual(expected);
    expect(parseReceipt(JSON.stringify(receipt))).toEqual(expected);
    expect(parseReceipt('{"v":1,"items":[]}')).toEqual({ v: 1, items: [] });
    // Unknown fields are not carried; a reason that is not a string is left out.
    expect(parseReceipt('{"v":1,"extra":true,"items":[{"kind":"t","id":"b","status":"stored","reason":5,"x":1}]}')).toEqual({ v: 1, items: [{ kind: 't', id: 'b', status: 'stored' }] });
  });

  it.each([
    ['not JSON', 'not json'],
    ['JSON null', 'null'],
    ['a number', '1'],
    ['a string', '"receipt"'],
    ['another version', '{"v":2,"items":[]}'],
    ['no version', '{"items":[]}'],
    ['items not a list', '{"v":1,"items":{}}'],
    ['no items', '{"v":1}'],
    ['a null item', '{"v":1,"items":[null]}'],
    ['an item that is a string', '{"v":1,"items":["t"]}'],
    ['an unknown kind', '{"v":1,"items":[{"kind":"x","id":"b","status":"stored"}]}'],
    ['an id that is a number', '{"v":1,"items":[{"kind":"t","id":1,"status":"stored"}]}'],
    ['an id with a slash', '{"v":1,"items":[{"kind":"t","id":"a/b","status":"stored"}]}'],
    ['an empty id', '{"v":1,"items":[{"kind":"a","id":"","status":"stored"}]}'],
    ['an unknown status', '{"v":1,"items":[{"kind":"t","id":"b","status":"lost"}]}'],
    ['one bad item after a good one', '{"v":1,"items":[{"kind":"t","id":"b","status":"stored"},{"kind":"t","id":"c"}]}'],
  ])('refuses %s (undefined, no throw)', (_what, payload) => {
    expect(parseReceipt(payload)).toBeUndefined();
  });
});

describe('alarm levels', () => {
  it('ranks fire first and offline last, each level its own rank', () => {
    expect(ALARM_LEVELS.map((level) => alarmLevelRank(level))).toEqual([0, 1, 2, 3, 4]);
    expect(alarmLevelRank('fire')).toBeLessThan(alarmLevelRank('warning'));
  });
});
