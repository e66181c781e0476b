// What the uplink puts on the wire, without a broker (issue 18, mutation survivors of gateway/uplink):
// telemetry batches from spool records (ids, held and unplaceable records, placed stamps), alarm messages
// and their time quality, the retained status, the township's commands parsed and answered, and the
// broker connection's settings and back-off.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { sourceFault, type AlarmEvent, type Clock } from '../../../gateway/pipeline/types.js';
import { Stats } from '../../../contract/stats.js';
import { silentLogger } from '../../../contract/logger.js';
import { encodeAlarmRecord } from '../../../gateway/spool/alarm-record.js';
import { Spool } from '../../../gateway/spool/spool.js';
import { encodeTelemetryRecord } from '../../../gateway/spool/telemetry-record.js';
import { PLAUSIBLE_EPOCH_MS } from '../../../gateway/time/honest-clock.js';
import { batchId, buildAlarmMessage, buildTelemetryBatch, gzipLines } from '../../../gateway/uplink/batch.js';
import { commandResult, parseCommand } from '../../../gateway/uplink/commands.js';
import { backoffMs, mqttOptions, type ConnectionOptions } from '../../../gateway/uplink/connection.js';
import { GATEWAY_VERSION, StatusTracker } from '../../../gateway/uplink/status.js';
import { tempDir } from '../../helpers/peers.js';

const WALL = Date.UTC(2026, 5, 1, 8, 0, 0);

/** A clock at wall WALL and mono 10,000 ms, synced or not; `at` moves both. */
function clock(synced: boolean, at = 0): Clock {
  return { now: () => WALL + at, mono: () => 10_000 + at, synced: () => synced };
}

const EPOCH = 'boot-a';
const synced = (seq: number, ts = WALL - 1000) => ({ seq, payload: encodeTelemetryRecord(`power,source=m${seq}`, ['v=1'], { synced: true, ts, mono: 0, epoch: EPOCH }) });
const unsynced = (seq: number, epoch: string, ts: number, mono: number) => ({ seq, payload: encodeTelemetryRecord(`power,source=m${seq}`, ['v=2'], { synced: false, ts, mono, epoch }) });

describe('telemetry batches', () => {
  it('ids name the spool and the first and last record', () => {
    expect(batchId('abcd1234', 40, 60)).toBe('abcd1234-40-59');
    expect(batchId('abcd1234', 0, 1)).toBe('abcd1234-0-0');
  });

  it('keeps synced lines as stamped, re-bases this boot\'s unsynced ones once the clock is good, and flags another boot\'s plausible ones', () => {
    const time = { clock: clock(true), epoch: EPOCH };
    const batch = buildTelemetryBatch([synced(7), unsynced(8, EPOCH, 5, 9_000), unsynced(9, 'boot-old', PLAUSIBLE_EPOCH_MS + 5, 1)], time)!;
    expect(batch).toEqual({
      first: 7,
      end: 10,
      unplaceable: 0,
      lines: [`power,source=m7 v=1 ${WALL - 1000}`, `power,source=m8 v=2 ${WALL - 1000}`, `power,source=m9,time_quality=unsynced v=2 ${PLAUSIBLE_EPOCH_MS + 5}`],
    });
  });

  it('stops before the first record that must wait for the clock, and waits whole when the first one must', () => {
    const time = { clock: clock(false), epoch: EPOCH };
    expect(buildTelemetryBatch([synced(3), synced(4), unsynced(5, EPOCH, 5, 9_000), synced(6)], time)).toEqual({ first: 3, end: 5, unplaceable: 0, lines: [`power,source=m3 v=1 ${WALL - 1000}`, `power,source=m4 v=1 ${WALL - 1000}`] });
    expect(buildTelemetryBatch([unsynced(5, EPOCH, 5, 9_000), synced(6)], time)).toBeUndefined();
    expect(buildTelemetryBatch([], time)).toBeUndefined();
  });

  it('counts records from another boot with a 1970 time as unplaceable once the clock is good, and goes past them', () => {
    const time = { clock: clock(true), epoch: EPOCH };
    expect(buildTelemetryBatch([unsynced(0, 'boot-old', 5, 1), unsynced(1, 'boot-old', 6, 2), synced(2)], time)).toEqual({ first: 0, end: 3, unplaceable: 2, lines: [`power,source=m2 v=1 ${WALL - 1000}`] });
  });

  it('gzips the lines joined by newlines', async () => {
    expect(gunzipSync(await gzipLines(['a 1', 'b 2'])).toString()).toBe('a 1\nb 2');
  });
});

describe('alarm messages', () => {
  const event = (over: Partial<AlarmEvent>): AlarmEvent => ({ eventId: 'ev-1', alarmId: 'door/open', transition: 'raise', state: 'raised', level: 'warning', source: 'door', point: 'open', rule: 'r', value: 1, text: { zh: '门', en: 'door' }, tags: {}, ts: WALL - 500, mono: 9_500, timeSynced: true, by: undefined, ...over });
  const record = (e: AlarmEvent, epoch = EPOCH) => ({ seq: 0, payload: encodeAlarmRecord(e, epoch) });

  it('a synced event goes as it is', () => {
    expect(buildAlarmMessage(record(event({})), { clock: clock(false), epoch: EPOCH })).toEqual(event({}));
  });

  it('an unsynced event of this boot is re-based when the clock is good (still timeSynced false), flagged with its own plausible time before', () => {
    const e = event({ timeSynced: false, ts: PLAUSIBLE_EPOCH_MS + 1, mono: 9_000 });
    expect(buildAlarmMessage(record(e), { clock: clock(true), epoch: EPOCH })).toEqual({ ...e, ts: WALL - 1000, timeSynced: false });
    expect(buildAlarmMessage(record(e), { clock: clock(false), epoch: EPOCH })).toEqual({ ...e, ts: PLAUSIBLE_EPOCH_MS + 1, timeSynced: false });
  });

  it('an event stamped "synced" with a 1970 time is not exact: it goes at now, flagged', () => {
    const e = event({ timeSynced: true, ts: 5, mono: 1 });
    expect(buildAlarmMessage(record(e, 'boot-old'), { clock: clock(true, 250), epoch: EPOCH })).toEqual({ ...e, ts: WALL + 250, timeSynced: false });
  });

  it('a 1970 event waits for the clock, then goes at now, flagged', () => {
    const e = event({ timeSynced: false, ts: 5, mono: 1 });
    expect(buildAlarmMessage(record(e, 'boot-old'), { clock: clock(false), epoch: EPOCH })).toBeUndefined();
    expect(buildAlarmMessage(record(e, EPOCH), { clock: clock(false), epoch: EPOCH })).toBeUndefined();
    expect(buildAlarmMessage(record(e, 'boot-old'), { clock: clock(true, 250), epoch: EPOCH })).toEqual({ ...e, ts: WALL + 250, timeSynced: false });
  });
});

describe('the retained status', () => {
  it('reports time, uptime, the spool backlog and each source with when it was last seen and its last error', async () => {
    const dir = tempDir('uplink-status');
    try {
      const spool = new Spool({ dir: dir.path, maxBytes: 1 << 20, maxAgeMs: 86_400_000, syncEveryMs: 1, segmentBytes: 4096, alarmReserveBytes: 0 }, silentLogger(), new Stats());
      spool.open();
      await Promise.all([spool.append('alarm', Buffer.from('a')), spool.append('alarm', Buffer.from('b')), spool.append('alarm', Buffer.from('c'))]);
      await spool.append('telemetry', Buffer.from('t'.repeat(10)));
      spool.alarm.ack(1);
      let at = 0;
      const c: Clock = { now: () => WALL + at + 0.4, mono: () => 10_000 + at, synced: () => true };
      const tracker = new StatusTracker('gw-1', c, spool, ['meter-1', 'door-1']);
      // Before any driver reports: every configured source is there, offline, never seen.
      expect(tracker.status(true).sources).toStrictEqual({ 'meter-1': { online: false, lastSeen: undefined }, 'door-1': { online: false, lastSeen: undefined } });
      tracker.onSourceStatus({ source: 'not-configured', online: false, mono: 10_000 }); // unknown and offline: no last-seen time
      expect(tracker.status(true).sources['not-configured']).toStrictEqual({ online: false, lastSeen: undefined });
      at = 61_600;
      tracker.onSourceStatus({ source: 'meter-1', online: true, mono: 10_000 + 60_000 });
      tracker.onSourceStatus({ source: 'door-1', online: false, mono: 10_000 + 61_000, lastError: sourceFault('timeout', 'no answer') });
      expect(tracker.status(true)).toEqual({
        gateway: 'gw-1',
        online: true,
        ts: WALL + 61_600,
        timeSynced: true,
        version: GATEWAY_VERSION,
        uptimeS: 62,
        spool: { telemetryBytes: 18, alarmEvents: 2, dropped: 0, oldestMs: undefined },
        sources: { 'meter-1': { online: true, lastSeen: WALL + 60_000 + 0.4 }, 'door-1': { online: false, lastSeen: undefined, lastError: 'timeout: no answer' }, 'not-configured': { online: false, lastSeen: undefined } },
      });
      at = 70_000;
      tracker.onSourceStatus({ source: 'meter-1', online: false, mono: 10_000 + 69_000 }); // offline keeps when it was last seen
      const later = tracker.status(false);
      expect(later.online).toBe(false);
      expect(later.sources['meter-1']).toEqual({ online: false, lastSeen: WALL + 60_000 + 0.4 });
      await spool.close();
    } finally {
      dir.remove();
    }
  });
});

describe('township commands', () => {
  const parse = (value: unknown) => parseCommand(Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)));

  it('accepts each command kind and gives silence without an alarm id an explicit undefined', () => {
    expect(parse({ id: 'c1', command: { kind: 'acknowledge', alarmId: 'a/b', by: 'li' } })).toEqual({ ok: true, message: { id: 'c1', command: { kind: 'acknowledge', alarmId: 'a/b', by: 'li' } } });
    const silence = parse({ id: 'c2', command: { kind: 'silence', by: 'li', forMs: 60_000 } });
    expect(silence).toEqual({ ok: true, message: { id: 'c2', command: { kind: 'silence', by: 'li', forMs: 60_000, alarmId: undefined } } });
    expect(silence.ok && 'alarmId' in silence.message.command).toBe(true);
    expect(parse({ id: 'c3', command: { kind: 'test_alarm', by: 'li', level: 'fire', forMs: 1000 } }).ok).toBe(true);
    for (const kind of ['request_health', 'request_config']) expect(parse({ id: 'c4', command: { kind, by: 'li' } })).toStrictEqual({ ok: true, message: { id: 'c4', command: { kind, by: 'li' } } });
    expect(parse({ id: 'c5', command: { kind: 'reset', alarmId: 'a', by: 'li' } }).ok).toBe(true);
  });

  it('refuses what is not JSON, unknown kinds and keys, and out-of-range values, keeping the id when there is one', () => {
    expect(parse('{nope')).toMatchObject({ ok: false, id: undefined, error: expect.stringMatching(/^command is not JSON/) });
    expect(parse({ id: 'c6', command: { kind: 'reboot', by: 'li' } })).toMatchObject({ ok: false, id: 'c6', error: expect.stringMatching(/^command rejected: command/) });
    expect(parse({ id: 'c7', command: { kind: 'acknowledge', alarmId: 'a', by: 'li', extra: 1 } })).toMatchObject({ ok: false, id: 'c7' });
    expect(parse({ id: 'c8', command: { kind: 'silence', by: 'li', forMs: 7 * 24 * 3_600_000 + 1 } })).toMatchObject({ ok: false, id: 'c8' });
    expect(parse({ id: 'c9', command: { kind: 'silence', by: 'li', forMs: 0 } })).toMatchObject({ ok: false, id: 'c9' });
    expect(parse({ id: 'c10', command: { kind: 'acknowledge', alarmId: 'a', by: '' } })).toMatchObject({ ok: false, id: 'c10' });
    expect(parse({ id: 'c11', command: { kind: 'acknowledge', alarmId: 'a', by: 'x'.repeat(129) } })).toMatchObject({ ok: false, id: 'c11' });
    expect(parse({ id: 'c12', command: { kind: 'test_alarm', by: 'li', level: 'apocalypse', forMs: 1 } })).toMatchObject({ ok: false, id: 'c12' });
    expect(parse({ id: 12, command: { kind: 'request_health', by: 'li' } })).toMatchObject({ ok: false, id: undefined });
    expect(parse({ id: 'x'.repeat(129), command: { kind: 'request_health', by: 'li' } })).toMatchObject({ ok: false });
    expect(parse({ command: { kind: 'request_health', by: 'li' } })).toMatchObject({ ok: false, id: undefined, error: expect.stringMatching(/id/) });
    expect(parse('null')).toMatchObject({ ok: false, id: undefined, error: expect.stringMatching(/\(root\)/) });
  });

  it('answers with data only when there is some', () => {
    expect(commandResult('c1', true, 'done')).toEqual({ id: 'c1', ok: true, message: 'done' });
    expect('data' in commandResult('c1', true, 'done')).toBe(false);
    expect(commandResult('c2', false, 'no', { a: 1 })).toEqual({ id: 'c2', ok: false, message: 'no', data: { a: 1 } });
  });
});

describe('the broker connection settings', () => {
  const base = { url: 'mqtts://127.0.0.1:1', gateway: 'gw-1', clientId: 'lm-gw-1', username: 'gw-1', passwordFile: undefined, ca: undefined, cert: undefined, key: undefined, keepaliveMs: 30_000, reconnectMinMs: 1000, reconnectMaxMs: 60_000 };
  const lastWill = () => ({ gateway: 'gw-1', online: false }) as unknown as ReturnType<ConnectionOptions['lastWill']>;

  it('persistent session, verified TLS from the files named, the password trimmed, a retained offline will, no mqtt.js reconnect', () => {
    const dir = tempDir('uplink-conn');
    try {
      for (const [name, text] of [['pw', '  s3cret\n'], ['ca.pem', 'CA'], ['cert.pem', 'CERT'], ['key.pem', 'KEY']] as const) writeFileSync(join(dir.path, name), text);
      const options = mqttOptions({ ...base, lastWill, passwordFile: join(dir.path, 'pw'), ca: join(dir.path, 'ca.pem'), cert: join(dir.path, 'cert.pem'), key: join(dir.path, 'key.pem') });
      expect(options).toMatchObject({ clientId: 'lm-gw-1', username: 'gw-1', password: 's3cret', clean: false, resubscribe: false, protocolVersion: 4, keepalive: 30, reconnectPeriod: 0, rejectUnauthorized: true });
      expect([options.ca, options.cert, options.key].map((b) => String(b))).toEqual(['CA', 'CERT', 'KEY']);
      expect(options.will).toEqual({ topic: 'lm/v1/gw-1/status', payload: Buffer.from(JSON.stringify(lastWill())), qos: 1, retain: true });
      expect(() => mqttOptions({ ...base, lastWill, ca: join(dir.path, 'missing.pem') })).toThrow(/^uplink\.ca: cannot read .*missing\.pem/);
      expect(() => mqttOptions({ ...base, lastWill, passwordFile: join(dir.path, 'nope') })).toThrow(/^uplink\.passwordFile: cannot read/);
    } finally {
      dir.remove();
    }
    const plain = mqttOptions({ ...base, lastWill, keepaliveMs: 200 });
    expect(plain).toMatchObject({ password: undefined, ca: undefined, cert: undefined, key: undefined, keepalive: 1 });
    expect(mqttOptions({ ...base, lastWill, keepaliveMs: 45_600 }).keepalive).toBe(46);
  });

  it('backs off doubling from the minimum to the maximum, with 50–100 % jitter', () => {
    expect([0, 1, 2, 3, 6, 7, 40].map((attempt) => backoffMs(attempt, 1000, 60_000, () => 1))).toEqual([1000, 2000, 4000, 8000, 60_000, 60_000, 60_000]);
    expect(backoffMs(0, 1000, 60_000, () => 0)).toBe(500);
    expect(backoffMs(3, 1000, 60_000, () => 0.5)).toBe(6000);
    expect(backoffMs(100, 1000, 60_000, () => 0)).toBe(30_000);
  });
});
