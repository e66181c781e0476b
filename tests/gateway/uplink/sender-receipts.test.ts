// The Sender's receipt rules on a real spool with a scripted MQTT client and a manual clock (no broker, no
// sleeps): a PUBACK frees nothing, a receipt frees what it names and only in order, an unmatched or refused
// receipt is counted, the in-flight window holds per lane, the receipt timeout resends the same ids and
// doubles while nothing comes (an unmatched receipt does not reset it, nor does a record settled without
// sending bring it forward), a reconnect resends what was in flight, alarms first, a partial batch waits
// batchMaxAge on the clock, an alarm held for the clock goes once it is synced, and a restart replays a
// batch with its own boundaries.
import { EventEmitter } from 'node:events';
import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { ReceiptItem } from '../../../contract/wire.js';
import type { AlarmEvent } from '../../../gateway/pipeline/types.js';
import { encodeAlarmRecord } from '../../../gateway/spool/alarm-record.js';
import { Spool } from '../../../gateway/spool/spool.js';
import { encodeTelemetryRecord } from '../../../gateway/spool/telemetry-record.js';
import { silentLogger } from '../../../contract/logger.js';
import { Stats } from '../../../contract/stats.js';
import { Sender } from '../../../gateway/uplink/sender.js';
import { tempDir } from '../../helpers/peers.js';
import { waitFor } from '../../helpers/wait.js';
import { ManualClock } from '../rules/site.js';

const GATEWAY = 'gw-sender';
// Batch ids name the first and the last sequence number of the batch: <spool id>-0-4 holds records 0..4.
const EPOCH = 'test-epoch';
const RECEIPT_TIMEOUT_MS = 1000;

/** Publishes are recorded and PUBACK'd at once; `connected` and 'close' are the test's to set. */
class ScriptedClient extends EventEmitter {
  connected = true;
  /** The next publishes fail this many times (mqtt.js calls back with an error when the client is ended under it). */
  failNext = 0;
  readonly published: { topic: string; payload: string | Buffer }[] = [];
  publish(topic: string, payload: string | Buffer, _options: unknown, callback?: (error?: Error) => void): this {
    this.published.push({ topic, payload });
    if (this.failNext > 0) {
      this.failNext--;
      callback?.(new Error('client ended'));
    } else callback?.();
    return this;
  }
}

/** Lets the woken send loop run its turn (it does no I/O when nothing is due). */
const loopTurn = async () => {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
};

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function setup(options: { maxInflight?: number; batchMaxRecords?: number; batchMaxAgeMs?: number; dir?: { path: string; remove(): void }; ready?: boolean } = {}) {
  const dir = options.dir ?? tempDir('sender');
  const stats = new Stats();
  const clock = new ManualClock();
  const spool = new Spool({ dir: dir.path, maxBytes: 4 * 1024 * 1024, maxAgeMs: 86_400_000, syncEveryMs: 1, segmentBytes: 256 * 1024 }, silentLogger(), stats);
  spool.open();
  const client = new ScriptedClient();
  const sender = new Sender({
    gateway: GATEWAY, spool, client: client as unknown as MqttClient, time: { clock, epoch: EPOCH },
    batchMaxRecords: options.batchMaxRecords ?? 5, batchMaxAgeMs: options.batchMaxAgeMs ?? 60_000, maxInflight: options.maxInflight ?? 2, receiptTimeoutMs: RECEIPT_TIMEOUT_MS, log: silentLogger(), stats,
  });
  sender.start();
  if (options.ready !== false) sender.setReady();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await sender.stop();
    await spool.close();
  };
  cleanups.push(async () => {
    await stop();
    if (!options.dir) dir.remove();
  });
  let n = 0;
  const telemetry = (count: number) =>
    Promise.all(Array.from({ length: count }, () => spool.append('telemetry', encodeTelemetryRecord(`t,gateway=${GATEWAY},source=s`, [`n=${n++}`], { ts: clock.now(), mono: clock.mono(), synced: true, epoch: EPOCH }))));
  const alarm = (eventId: string, stamp: { ts?: number; timeSynced?: boolean } = {}): Promise<number> => {
    const event: AlarmEvent = {
      eventId, alarmId: `a/${eventId}`, transition: 'raise', state: 'raised', level: 'alarm', source: 's', point: 'p', rule: 'r',
      value: 1, text: { zh: '测试', en: 'test' }, tags: {}, ts: stamp.ts ?? clock.now(), mono: clock.mono(), timeSynced: stamp.timeSynced ?? true, by: undefined,
    };
    return spool.append('alarm', encodeAlarmRecord(event, EPOCH));
  };
  const ids = () => client.published.map((p) => p.topic.split('/').slice(3).join('/'));
  const receipt = (...items: ReceiptItem[]) => sender.onReceipt(items);
  /** Moves the clock and wakes the send loop (as a reconnect or a receipt would). */
  const advance = (ms: number) => {
    clock.advance(ms);
    sender.setReady();
  };
  return { spool, client, sender, stats, telemetry, alarm, ids, receipt, advance, stop, dir, clock };
}

describe('Sender and receipts', () => {
  it('frees a lane only on receipts, in order, within the in-flight window', async () => {
    const { spool, telemetry, ids, receipt, stats, sender } = setup({ maxInflight: 2, batchMaxRecords: 5 });
    await telemetry(20);
    await waitFor('two batches published', () => ids().length === 2);
    // The window is full: nothing more goes however long we wait, and a PUBACK (given at once) freed nothing.
    expect(ids()).toEqual([`t/${spool.id}-0-4`, `t/${spool.id}-5-9`]);
    expect(spool.telemetry.acked()).toBe(0);
    expect(sender.inflightCount()).toBe(2);

    // The second batch receipted first: nothing is freed until the first is, but the window opens by one.
    receipt({ kind: 't', id: `${spool.id}-5-9`, status: 'stored' });
    await waitFor('a third batch', () => ids().length === 3);
    expect(spool.telemetry.acked()).toBe(0);
    receipt({ kind: 't', id: `${spool.id}-0-4`, status: 'stored' });
    expect(spool.telemetry.acked()).toBe(10);
    expect(stats.counter('uplink.receipted', { lane: 'telemetry', status: 'stored' })).toBe(2);

    // A refused batch is freed too (it can never succeed); an unknown or repeated id frees nothing.
    await waitFor('a fourth batch', () => ids().length === 4);
    receipt({ kind: 't', id: `${spool.id}-10-14`, status: 'refused', reason: 'bad lines' });
    receipt({ kind: 't', id: `${spool.id}-10-14`, status: 'stored' }, { kind: 't', id: 'nobody', status: 'stored' });
    expect(spool.telemetry.acked()).toBe(15);
    expect(stats.counter('uplink.receipted', { lane: 'telemetry', status: 'refused' })).toBe(1);
    expect(stats.counter('uplink.receipt_unmatched', { lane: 'telemetry' })).toBe(2);
    receipt({ kind: 't', id: `${spool.id}-15-19`, status: 'stored' });
    expect(spool.telemetry.acked()).toBe(20);
    expect(sender.inflightCount()).toBe(0);
  });

  it('gives alarms their own window, ahead of a full telemetry window', async () => {
    const { spool, telemetry, alarm, ids, receipt } = setup({ maxInflight: 1, batchMaxRecords: 5 });
    await telemetry(10);
    await waitFor('one batch in flight', () => ids().length === 1);
    await alarm('ev-1');
    await alarm('ev-2');
    await waitFor('the first alarm', () => ids().length === 2);
    expect(ids()[1]).toBe('a/ev-1');
    // Its window is one: the second waits for the first one's receipt.
    await loopTurn();
    expect(ids()).toHaveLength(2);
    receipt({ kind: 'a', id: 'ev-1', status: 'stored' });
    await waitFor('the second alarm', () => ids().length === 3);
    expect(ids()[2]).toBe('a/ev-2');
    expect(spool.alarm.acked()).toBe(1);
    receipt({ kind: 'a', id: 'ev-2', status: 'stored' }, { kind: 't', id: `${spool.id}-0-4`, status: 'stored' });
    expect(spool.alarm.acked()).toBe(2);
    await waitFor('the second batch', () => ids().length === 4);
    expect(ids()[3]).toBe(`t/${spool.id}-5-9`);
  });

  it('resends the same ids after the receipt timeout, doubling it while no receipt comes', async () => {
    const { spool, client, telemetry, ids, receipt, advance, stats } = setup({ maxInflight: 2, batchMaxRecords: 5 });
    await telemetry(5);
    await waitFor('one batch', () => ids().length === 1);
    const first = client.published[0]!;
    advance(RECEIPT_TIMEOUT_MS - 1);
    await loopTurn();
    expect(ids()).toHaveLength(1);
    advance(1);
    await waitFor('a resend after 1 s', () => ids().length === 2);
    expect(client.published[1]).toEqual(first);
    // Next time it waits 2 s, not 1 s.
    advance(RECEIPT_TIMEOUT_MS);
    await loopTurn();
    expect(ids()).toHaveLength(2);
    advance(RECEIPT_TIMEOUT_MS);
    await waitFor('a resend after 2 s more', () => ids().length === 3);
    expect(stats.counter('uplink.receipt_timeout')).toBe(2);
    expect(stats.counter('uplink.republished', { lane: 'telemetry' })).toBe(2);
    // A receipt resets it: the next batch is resent after 1 s again.
    receipt({ kind: 't', id: `${spool.id}-0-4`, status: 'stored' });
    await telemetry(5);
    await waitFor('the second batch', () => ids().length === 4);
    advance(RECEIPT_TIMEOUT_MS);
    await waitFor('its resend after 1 s', () => ids().length === 5);
    expect(ids().slice(3)).toEqual([`t/${spool.id}-5-9`, `t/${spool.id}-5-9`]);
  });

  it('after a disconnect, resends what was in flight with the same ids, alarms first', async () => {
    const { spool, client, telemetry, alarm, ids, sender, stats } = setup({ maxInflight: 2, batchMaxRecords: 5 });
    await telemetry(10);
    await alarm('ev-9');
    await waitFor('two batches and the alarm', () => ids().length === 3);
    client.connected = false;
    client.emit('close');
    client.connected = true;
    sender.setReady();
    await waitFor('three resends', () => ids().length === 6);
    expect(ids().slice(3)).toEqual(['a/ev-9', `t/${spool.id}-0-4`, `t/${spool.id}-5-9`]);
    expect(stats.counter('uplink.republished', { lane: 'alarm' })).toBe(1);
    expect(stats.counter('uplink.republished', { lane: 'telemetry' })).toBe(2);
    expect(spool.alarm.acked()).toBe(0);
  });

  it('skips an unreadable alarm record and one whose event id is no topic segment, counted, and sends the next', async () => {
    const { spool, ids, stats, alarm, receipt } = setup();
    await spool.append('alarm', Buffer.from('not an alarm record'));
    await alarm('bad/id');
    await alarm('ev-ok');
    await waitFor('the good alarm', () => ids().includes('a/ev-ok'));
    expect(ids()).toEqual(['a/ev-ok']);
    expect(stats.counter('uplink.alarm_unreadable')).toBe(1);
    expect(stats.counter('uplink.alarm_bad_event_id')).toBe(1);
    // The two skipped records are settled in order with the others.
    receipt({ kind: 'a', id: 'ev-ok', status: 'stored' });
    expect(spool.alarm.acked()).toBe(3);
  });

  it('a publish that fails (client ended under it) is sent again, and counted', async () => {
    const { client, telemetry, ids, stats, advance } = setup();
    client.failNext = 1;
    await telemetry(5);
    await waitFor('the first attempt', () => ids().length === 1);
    expect(stats.counter('uplink.publish_error', { lane: 'telemetry' })).toBe(1);
    advance(0);
    await waitFor('the second attempt', () => ids().length === 2);
    expect(ids()[1]).toBe(ids()[0]);
  });

  it('after a restart, a batch published and never receipted goes again with the same boundaries', async () => {
    const dir = tempDir('sender-restart');
    cleanups.push(() => dir.remove());
    const before = setup({ batchMaxRecords: 5, dir });
    await before.telemetry(8);
    await waitFor('one batch', () => before.ids().length === 1);
    const id = before.ids()[0]!;
    expect(id).toBe(`t/${before.spool.id}-0-4`);
    await before.stop();
    // Restarted with another batch size: the unreceipted batch keeps its id, then batching goes on as configured.
    const after = setup({ batchMaxRecords: 3, dir });
    await waitFor('the replayed batch', () => after.ids().length >= 1);
    expect(after.ids()[0]).toBe(id);
    after.receipt({ kind: 't', id: id.slice(2), status: 'stored' });
    expect(after.spool.telemetry.acked()).toBe(5);
    await waitFor('the next batch', () => after.ids().length === 2);
    expect(after.ids()[1]).toBe(`t/${after.spool.id}-5-7`);
  });

  it('sends nothing until the receipt topic is subscribed, nor after a close until it is again', async () => {
    const { client, telemetry, ids, sender, stats } = setup({ ready: false, batchMaxRecords: 5 });
    await telemetry(5);
    await loopTurn();
    expect(ids()).toEqual([]);
    sender.setReady();
    await waitFor('the batch', () => ids().length === 1);
    expect(stats.counter('uplink.published', { lane: 'telemetry' })).toBe(1);
    expect(stats.counter('uplink.bytes', { lane: 'telemetry' })).toBe(client.published[0]!.payload.length);
    // A close, then the transport is back at once but the subscription is not yet: nothing is resent.
    client.emit('close');
    await telemetry(5);
    await loopTurn();
    expect(ids()).toHaveLength(1);
    sender.setReady();
    await waitFor('the resend and the next batch', () => ids().length === 3);
  });

  it('after stop() nothing more is published', async () => {
    const { telemetry, ids, stop } = setup({ batchMaxRecords: 5 });
    await telemetry(5);
    await waitFor('the batch', () => ids().length === 1);
    await stop();
    expect(ids()).toHaveLength(1);
  });

  it('drops telemetry that cannot be placed in time (stamped before a reboot, clock never synced), counted and settled', async () => {
    const { spool, telemetry, ids, stats, receipt } = setup({ batchMaxRecords: 5 });
    const stamp = { ts: 0, mono: 5, synced: false, epoch: 'an-earlier-boot' };
    for (let i = 0; i < 5; i++) await spool.append('telemetry', encodeTelemetryRecord(`t,gateway=${GATEWAY},source=s`, [`n=${100 + i}`], stamp));
    await telemetry(5);
    await waitFor('the placeable batch', () => ids().length === 1);
    expect(stats.counter('uplink.unplaceable')).toBe(5);
    expect(ids()).toEqual([`t/${spool.id}-5-9`]);
    receipt({ kind: 't', id: `${spool.id}-5-9`, status: 'stored' });
    expect(spool.telemetry.acked()).toBe(10);
  });

  it('an unmatched receipt frees nothing and does not reset the doubled receipt timeout', async () => {
    const { spool, telemetry, ids, receipt, advance, stats } = setup({ maxInflight: 2, batchMaxRecords: 5 });
    await telemetry(5);
    await waitFor('one batch', () => ids().length === 1);
    advance(RECEIPT_TIMEOUT_MS);
    await waitFor('the first resend', () => ids().length === 2);
    // The timeout is now 2 s; a receipt for an id nobody waits for changes nothing.
    receipt({ kind: 't', id: 'nobody', status: 'stored' });
    advance(RECEIPT_TIMEOUT_MS);
    await loopTurn();
    expect(ids()).toHaveLength(2);
    advance(RECEIPT_TIMEOUT_MS);
    await waitFor('the second resend after 2 s', () => ids().length === 3);
    expect(stats.counter('uplink.receipt_unmatched', { lane: 'telemetry' })).toBe(1);
    expect(spool.telemetry.acked()).toBe(0);
  });

  it('telemetry goes while the alarm window is full and no alarm is waiting behind it', async () => {
    const { spool, telemetry, alarm, ids } = setup({ maxInflight: 1, batchMaxRecords: 5 });
    await alarm('ev-1');
    await waitFor('the alarm', () => ids().length === 1);
    await telemetry(5);
    await waitFor('the batch beside the unreceipted alarm', () => ids().length === 2);
    expect(ids()).toEqual(['a/ev-1', `t/${spool.id}-0-4`]);
  });

  it('records settled without sending do not make the receipt timeout come early', async () => {
    const { spool, alarm, ids, advance, stats } = setup({ maxInflight: 2 });
    await alarm('ev-1');
    await waitFor('the alarm', () => ids().length === 1);
    // Behind the unreceipted alarm: an unreadable record, settled without sending (and never published).
    await spool.append('alarm', Buffer.from('not an alarm record'));
    await waitFor('the unreadable record skipped', () => stats.counter('uplink.alarm_unreadable') === 1);
    advance(RECEIPT_TIMEOUT_MS - 1);
    await loopTurn();
    expect(ids()).toEqual(['a/ev-1']);
    expect(stats.counter('uplink.receipt_timeout')).toBe(0);
    advance(1);
    await waitFor('the resend after 1 s', () => ids().length === 2);
  });

  it('a partial batch waits batchMaxAge on the monotonic clock, then goes as it is', async () => {
    const { spool, telemetry, ids, advance } = setup({ batchMaxRecords: 5, batchMaxAgeMs: 10_000 });
    await telemetry(3);
    await loopTurn();
    advance(9_999);
    await loopTurn();
    expect(ids()).toEqual([]);
    advance(1);
    await waitFor('the partial batch', () => ids().length === 1);
    expect(ids()).toEqual([`t/${spool.id}-0-2`]);
  });

  it('an alarm held for the clock (stamped 1970, clock not synced) is sent, re-based, once the clock is synced', async () => {
    const { alarm, ids, advance, clock, client } = setup();
    clock.isSynced = false;
    await alarm('ev-held', { ts: 0, timeSynced: false });
    await loopTurn();
    expect(ids()).toEqual([]);
    clock.isSynced = true;
    advance(0);
    await waitFor('the alarm', () => ids().length === 1);
    expect(JSON.parse(String(client.published[0]!.payload))).toMatchObject({ eventId: 'ev-held', ts: clock.now(), timeSynced: false });
  });

  it('after a restart, a batch that did not start at 0 is replayed with its own boundaries', async () => {
    const dir = tempDir('sender-replay');
    cleanups.push(() => dir.remove());
    const before = setup({ batchMaxRecords: 5, dir });
    await before.telemetry(5);
    await waitFor('the first batch', () => before.ids().length === 1);
    before.receipt({ kind: 't', id: `${before.spool.id}-0-4`, status: 'stored' });
    await before.telemetry(8);
    await waitFor('the second batch', () => before.ids().length === 2);
    expect(before.ids()[1]).toBe(`t/${before.spool.id}-5-9`);
    await before.stop();
    const after = setup({ batchMaxRecords: 3, dir });
    await waitFor('the replayed batch', () => after.ids().length >= 1);
    expect(after.ids()[0]).toBe(`t/${after.spool.id}-5-9`);
  });
});
