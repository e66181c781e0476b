// The ingest core (cloud-ingest/ingest/ingest.ts) without a broker or a database process (issue 18,
// mutation): the real writer writes to an in-process InfluxDB v2 write endpoint (tests/helpers/
// influx-receiver.ts), with the real dedup, recent window, series budget and receipt batcher; receipts
// go to a channel that records them. What a gateway is answered, what is written, what is counted.
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidEventError } from '../../cloud-ingest/alarms/store.js';
import { DedupStore } from '../../cloud-ingest/ingest/dedup.js';
import { Ingest, type IngestLimits } from '../../cloud-ingest/ingest/ingest.js';
import { ReceiptBatcher } from '../../cloud-ingest/ingest/receipts.js';
import { RecentWindow } from '../../cloud-ingest/ingest/recent-window.js';
import { SeriesBudget } from '../../cloud-ingest/ingest/series-budget.js';
import { InfluxWriter } from '../../cloud-ingest/ingest/writer.js';
import type { GatewayIdentity } from '../../cloud-ingest/registry/registry.js';
import { silentLogger } from '../../contract/logger.js';
import { Stats } from '../../contract/stats.js';
import { topics, type Receipt, type ReceiptItem } from '../../contract/wire.js';
import type { AlarmEvent } from '../../contract/vocabulary.js';
import { InfluxReceiver } from '../helpers/influx-receiver.js';
import { waitFor } from '../helpers/wait.js';
import { alarmEvent } from './fixture.js';

const gwA: GatewayIdentity = { gateway: 'gw-a', township: 'town-1', compound: 'compound-a' };
const now = Date.now();
const batch = (lines: readonly string[]) => gzipSync(Buffer.from(lines.join('\n')));

describe('Ingest', () => {
  let receiver: InfluxReceiver;
  let stats: Stats;
  let writer: InfluxWriter | undefined;
  let sent: { gateway: string; items: ReceiptItem[] }[];
  let events: { identity: GatewayIdentity; event: AlarmEvent }[];
  let alarmFailure: Error | undefined;

  const make = ({ sink = true, limits = { maxPendingBytes: 1024 * 1024, maxPendingPerGateway: 16 } as IngestLimits, series = undefined as SeriesBudget | undefined } = {}) => {
    writer = sink ? new InfluxWriter({ url: receiver.url, org: 'o', bucket: 'b', flushLines: 1000, maxPendingLines: 100_000, writeConcurrency: 16, timeoutMs: 5000, compress: 'auto' }, undefined, silentLogger(), stats) : undefined;
    const receipts = new ReceiptBatcher(silentLogger(), stats);
    const into = sent; // this test's list: a receipt flushed after the test ended goes nowhere else
    receipts.bind({ sendReceipt: (gateway: string, receipt: Receipt) => (into.push({ gateway, items: [...receipt.items] }), Promise.resolve()) });
    const window = new RecentWindow({ pointsPerSeries: 10, maxBytes: 1024 * 1024, maxBytesPerGateway: 512 * 1024 });
    const ingest = new Ingest({
      dedup: new DedupStore(1000, undefined),
      sink: writer,
      window,
      ...(series ? { series } : {}),
      alarms: {
        addEvent: (identity, event) => {
          if (alarmFailure) return Promise.reject(alarmFailure);
          events.push({ identity, event });
          return Promise.resolve(undefined);
        },
      },
      receipts,
      limits,
      log: silentLogger(),
      stats,
    });
    return { ingest, window };
  };
  /** Lines in write requests the receiver is holding (concurrent batches may share one request). */
  const heldLines = () => receiver.held.reduce((n, h) => n + h.request.lines.length, 0);
  const receiptsFor = (gateway: string) => sent.filter((s) => s.gateway === gateway).flatMap((s) => s.items);
  const receipt = async (kind: ReceiptItem['kind'], id: string) => waitFor(`receipt ${kind}/${id}`, () => receiptsFor('gw-a').find((i) => i.kind === kind && i.id === id), 5000);

  beforeEach(async () => {
    receiver = await InfluxReceiver.start();
    stats = new Stats();
    sent = [];
    events = [];
    alarmFailure = undefined;
  });

  afterEach(async () => {
    await writer?.close();
    await receiver.close();
  });

  it('stores a batch with the identity tags enforced, receipts it, feeds the window and counts it', async () => {
    const { ingest, window } = make();
    await ingest.accept(gwA, topics.telemetry('gw-a', 'b1'), batch([`temperature,source=th-1,gateway=gw-x temp=21.5,humidity=40 ${now}`, `power,source=m-1 voltage=229 ${now + 1}`]));
    expect(await receipt('t', 'b1')).toEqual({ kind: 't', id: 'b1', status: 'stored' });
    expect(receiver.stored).toHaveLength(2);
    for (const line of receiver.stored) expect(line).toMatch(/township=town-1/);
    expect(receiver.stored.join('\n')).not.toMatch(/gw-x/);
    expect(window.list(() => true).map((s) => `${s.source}/${s.field}`).sort()).toEqual(['m-1/voltage', 'th-1/humidity', 'th-1/temp']);
    expect(stats.counter('ingest.measurements', { gateway: 'gw-a' })).toBe(3);
    expect(stats.counter('ingest.batches', { gateway: 'gw-a' })).toBe(1);
    expect(stats.counter('ingest.line_rejected', { gateway: 'gw-a' })).toBe(0);
    expect(ingest.gateways.get('gw-a')).toMatchObject({ identity: gwA, connected: true });
    expect(ingest.load()).toEqual({ bytes: 0, messages: 0 });
  });

  it('rejected lines: stored with a reason naming the first by number, remembered (the latest 200), counted', async () => {
    const { ingest } = make();
    await ingest.accept(gwA, topics.telemetry('gw-a', 'b1'), batch([`temperature,source=a temp=1 ${now}`, `temperature,source=a temp=oops ${now}`, `temperature,source=a temp=2 ${now + 1}`, `temperature,source=a temp= ${now}`]));
    const item = await receipt('t', 'b1');
    expect(item).toMatchObject({ status: 'stored', reason: expect.stringMatching(/^2 line\(s\) rejected, first: line 2: /) });
    expect(receiver.stored).toHaveLength(2);
    expect(stats.counter('ingest.line_rejected', { gateway: 'gw-a' })).toBe(2);
    expect(stats.counter('ingest.series_refused', { gateway: 'gw-a' })).toBe(0);
    expect(ingest.rejections).toEqual([expect.objectContaining({ gateway: 'gw-a', batchId: 'b1', line: 2 }), expect.objectContaining({ gateway: 'gw-a', batchId: 'b1', line: 4 })]);
    // 250 more rejected lines in another batch: the oldest go, 200 are kept, newest last.
    await ingest.accept(gwA, topics.telemetry('gw-a', 'b2'), batch(Array.from({ length: 250 }, (_, i) => `temperature,source=a temp=bad${i} ${now}`)));
    await receipt('t', 'b2');
    // A batch keeps the first 100 rejection details (MAX_REJECTION_DETAILS): 2 + 100 remembered.
    expect(ingest.rejections).toHaveLength(102);
    await ingest.accept(gwA, topics.telemetry('gw-a', 'b3'), batch(Array.from({ length: 100 }, () => `temperature,source=a temp=bad ${now}`)));
    await receipt('t', 'b3');
    expect(ingest.rejections).toHaveLength(200);
    expect(ingest.rejections[0]).toMatchObject({ batchId: 'b2', line: 1 });
    expect(ingest.rejections.at(-1)).toMatchObject({ batchId: 'b3', line: 100 });
  });

  it('lines past the series budget are refused and counted as such', async () => {
    const { ingest } = make({ series: new SeriesBudget({ maxPerGateway: 1, maxPerTownship: 100, rotateMs: 3_600_000 }) });
    await ingest.accept(gwA, topics.telemetry('gw-a', 'b1'), batch([`temperature,source=a temp=1 ${now}`, `temperature,source=b temp=1 ${now}`]));
    expect(await receipt('t', 'b1')).toMatchObject({ status: 'stored', reason: expect.stringContaining('1 line(s) rejected, first: line 2') });
    expect(stats.counter('ingest.series_refused', { gateway: 'gw-a' })).toBe(1);
    expect(stats.counter('ingest.line_rejected', { gateway: 'gw-a' })).toBe(1);
    expect(receiver.stored).toHaveLength(1);
  });

  it('lines the database refuses: the rest stored, the receipt says how many and why', async () => {
    receiver.answer = (r) => (r.lines.some((l) => l.includes('source=bad')) ? { status: 400, message: 'field type conflict' } : { status: 204 });
    const { ingest } = make();
    await ingest.accept(gwA, topics.telemetry('gw-a', 'b1'), batch([`temperature,source=ok temp=1 ${now}`, `temperature,source=bad temp=1 ${now}`, `temperature,source=x temp=oops ${now}`]));
    const item = await receipt('t', 'b1');
    expect(item.status).toBe('stored');
    expect(item.reason).toMatch(/^1 line\(s\) rejected, first: line 3: .*; 1 line\(s\) refused by the database: .*field type conflict/);
    expect(stats.counter('ingest.line_refused_by_database', { gateway: 'gw-a' })).toBe(1);
    expect(stats.counter('ingest.batches', { gateway: 'gw-a' })).toBe(1);
  });

  it('a batch the database refuses whole, and one that is not gzip, are refused (receipted, nothing kept)', async () => {
    receiver.answer = () => ({ status: 400, message: 'bucket is read-only' });
    const { ingest, window } = make();
    await ingest.accept(gwA, topics.telemetry('gw-a', 'b1'), batch([`temperature,source=a temp=1 ${now}`]));
    expect(await receipt('t', 'b1')).toEqual({ kind: 't', id: 'b1', status: 'refused', reason: expect.stringContaining('bucket is read-only') });
    await ingest.accept(gwA, topics.telemetry('gw-a', 'b2'), Buffer.from('not gzip at all'));
    expect(await receipt('t', 'b2')).toEqual({ kind: 't', id: 'b2', status: 'refused', reason: expect.stringMatching(/^not valid gzip, or over the size limit: /) });
    expect(stats.counter('ingest.batch_refused', { gateway: 'gw-a' })).toBe(2);
    expect(stats.counter('ingest.batches', { gateway: 'gw-a' })).toBe(0);
    expect(window.list(() => true)).toEqual([]);
    // A refused id counts as done: a resend is answered without writing.
    await ingest.accept(gwA, topics.telemetry('gw-a', 'b1'), batch([`temperature,source=a temp=1 ${now}`]));
    expect(stats.counter('ingest.duplicate_batch', { gateway: 'gw-a' })).toBe(1);
  });

  it('a repeated batch id is answered stored without writing again; the same id from another gateway is its own', async () => {
    const { ingest } = make();
    await ingest.accept(gwA, topics.telemetry('gw-a', 'b1'), batch([`temperature,source=a temp=1 ${now}`]));
    await ingest.accept(gwA, topics.telemetry('gw-a', 'b1'), batch([`temperature,source=z temp=9 ${now}`]));
    await waitFor('both receipts', () => receiptsFor('gw-a').length === 2);
    expect(receiptsFor('gw-a').filter((i) => i.id === 'b1')).toEqual([{ kind: 't', id: 'b1', status: 'stored' }, { kind: 't', id: 'b1', status: 'stored' }]);
    expect(receiver.stored).toHaveLength(1);
    expect(stats.counter('ingest.duplicate_batch', { gateway: 'gw-a' })).toBe(1);
    const gwB = { gateway: 'gw-b', township: 'town-1', compound: 'compound-b' };
    await ingest.accept(gwB, topics.telemetry('gw-b', 'b1'), batch([`temperature,source=a temp=1 ${now}`]));
    expect(receiver.stored).toHaveLength(2);
    // An alarm and a batch with the same id are not duplicates of each other.
    await ingest.accept(gwA, topics.alarm('gw-a', 'b1'), Buffer.from(JSON.stringify(alarmEvent({ eventId: 'b1', alarmId: 'x/y' }))));
    expect(events).toHaveLength(1);
  });

  it('without a database, batches go to the window only and are receipted stored', async () => {
    const { ingest, window } = make({ sink: false });
    await ingest.accept(gwA, topics.telemetry('gw-a', 'b1'), batch([`temperature,source=a temp=1 ${now}`]));
    expect(await receipt('t', 'b1')).toEqual({ kind: 't', id: 'b1', status: 'stored' });
    expect(window.list(() => true)).toHaveLength(1);
    expect(receiver.requests).toHaveLength(0);
  });

  it('a message on another gateway\'s topic, or no topic of ours, is dropped and counted; nothing is recorded', async () => {
    const { ingest } = make();
    await ingest.accept(gwA, topics.telemetry('gw-b', 'b1'), batch([`temperature,source=a temp=1 ${now}`]));
    await ingest.accept(gwA, 'lm/v1/gw-a/nonsense/x/y', Buffer.from('x'));
    expect(stats.counter('ingest.topic_refused', { gateway: 'gw-a' })).toBe(2);
    expect(ingest.gateways.size).toBe(0);
    await new Promise((r) => setImmediate(r));
    expect(sent).toEqual([]);
    expect(receiver.requests).toHaveLength(0);
  });

  it('over the per-gateway budget a message is shed (no receipt, counted); others and later ones are admitted', async () => {
    receiver.answer = () => 'hold';
    const { ingest } = make({ limits: { maxPendingBytes: 1024 * 1024, maxPendingPerGateway: 2 } });
    const p1 = batch([`temperature,source=a temp=1 ${now}`]);
    const first = ingest.accept(gwA, topics.telemetry('gw-a', 'b1'), p1);
    const second = ingest.accept(gwA, topics.telemetry('gw-a', 'b2'), batch([`temperature,source=a temp=2 ${now}`]));
    await waitFor('both batches held in writes', () => heldLines() === 2);
    expect(ingest.load()).toEqual({ bytes: p1.length * 2, messages: 2 });
    await ingest.accept(gwA, topics.telemetry('gw-a', 'b3'), batch([`temperature,source=a temp=3 ${now}`]));
    expect(stats.counter('ingest.shed', { gateway: 'gw-a' })).toBe(1);
    const gwB = { gateway: 'gw-b', township: 'town-1', compound: 'compound-b' };
    const other = ingest.accept(gwB, topics.telemetry('gw-b', 'b1'), batch([`temperature,source=a temp=1 ${now}`]));
    await waitFor('gw-b admitted', () => heldLines() === 3);
    expect(ingest.load().messages).toBe(3);
    receiver.answer = () => ({ status: 204 });
    for (const h of receiver.held.splice(0)) h.release();
    await Promise.all([first, second, other]);
    expect(ingest.load()).toEqual({ bytes: 0, messages: 0 });
    await ingest.accept(gwA, topics.telemetry('gw-a', 'b3'), batch([`temperature,source=a temp=3 ${now}`]));
    await receipt('t', 'b3');
    expect(receiptsFor('gw-a').map((i) => i.id).sort()).toEqual(['b1', 'b2', 'b3']);
    expect(stats.counter('ingest.shed', { gateway: 'gw-a' })).toBe(1);
  });

  it('over the byte budget a message is shed, but one message alone is always admitted however large', async () => {
    receiver.answer = () => 'hold';
    const big = batch(Array.from({ length: 50 }, (_, i) => `temperature,source=s${i} temp=${i} ${now}`));
    const { ingest } = make({ limits: { maxPendingBytes: big.length - 1, maxPendingPerGateway: 16 } });
    const first = ingest.accept(gwA, topics.telemetry('gw-a', 'b1'), big);
    await waitFor('the first write held', () => receiver.held.length >= 1);
    const small = batch([`temperature,source=a temp=1 ${now}`]);
    await ingest.accept(gwA, topics.telemetry('gw-a', 'b2'), small);
    expect(stats.counter('ingest.shed', { gateway: 'gw-a' })).toBe(1);
    receiver.answer = () => ({ status: 204 });
    for (const h of receiver.held.splice(0)) h.release();
    await first;
    expect(ingest.load()).toEqual({ bytes: 0, messages: 0 });
    // Exactly at the budget: admitted.
    const { ingest: second } = make({ limits: { maxPendingBytes: small.length * 2, maxPendingPerGateway: 16 } });
    receiver.answer = () => 'hold';
    const a = second.accept(gwA, topics.telemetry('gw-a', 'c1'), small);
    const b = second.accept(gwA, topics.telemetry('gw-a', 'c2'), batch([`temperature,source=a temp=2 ${now}`]));
    await waitFor('both held', () => heldLines() === 2);
    expect(stats.counter('ingest.shed', { gateway: 'gw-a' })).toBe(1);
    receiver.answer = () => ({ status: 204 });
    for (const h of receiver.held.splice(0)) h.release();
    await Promise.all([a, b]);
  });

  it('a write that fails for another reason (writer closed) sends no receipt and is counted; the id is not recorded', async () => {
    receiver.answer = () => ({ status: 503 });
    const { ingest } = make();
    const pending = ingest.accept(gwA, topics.telemetry('gw-a', 'b1'), batch([`temperature,source=a temp=1 ${now}`]));
    await waitFor('a failed attempt', () => stats.counter('ingest.write_retry') >= 1);
    await writer!.close();
    await pending;
    expect(stats.counter('ingest.handle_failed', { gateway: 'gw-a' })).toBe(1);
    await new Promise((r) => setImmediate(r));
    expect(receiptsFor('gw-a')).toEqual([]);
    expect(ingest.load()).toEqual({ bytes: 0, messages: 0 });
  });

  it('an alarm event is stored with the topic\'s event id, receipted, and a repeat is not stored again', async () => {
    const { ingest } = make();
    const event = alarmEvent({ eventId: 'other-id', alarmId: 'smoke-1/smoke' });
    await ingest.accept(gwA, topics.alarm('gw-a', 'ev-1'), Buffer.from(JSON.stringify(event)));
    expect(await receipt('a', 'ev-1')).toEqual({ kind: 'a', id: 'ev-1', status: 'stored' });
    expect(events).toEqual([{ identity: gwA, event: expect.objectContaining({ eventId: 'ev-1', alarmId: 'smoke-1/smoke', level: 'fire' }) }]);
    expect(stats.counter('ingest.alarm_events', { gateway: 'gw-a' })).toBe(1);
    await ingest.accept(gwA, topics.alarm('gw-a', 'ev-1'), Buffer.from(JSON.stringify(event)));
    expect(events).toHaveLength(1);
    expect(stats.counter('ingest.duplicate_event', { gateway: 'gw-a' })).toBe(1);
    expect(stats.counter('ingest.duplicate_batch', { gateway: 'gw-a' })).toBe(0);
  });

  it('alarm events that are not JSON, lack a field, or that the store can never file are refused', async () => {
    const { ingest } = make();
    const full = alarmEvent({ eventId: 'e', alarmId: 'smoke-1/smoke' });
    const cases: [string, unknown, RegExp][] = [
      ['e1', '{not json', /^not JSON: /],
      ['e2', null, /^lacks alarmId, level, transition or text$/],
      ['e3', 'a string', /^lacks/],
      ['e4', { ...full, alarmId: 7 }, /^lacks/],
      ['e5', { ...full, level: undefined }, /^lacks/],
      ['e6', { ...full, transition: 1 }, /^lacks/],
      ['e7', { ...full, text: '' }, /^lacks/],
    ];
    for (const [id, body, reason] of cases) {
      await ingest.accept(gwA, topics.alarm('gw-a', id), Buffer.from(typeof body === 'string' && id === 'e1' ? body : JSON.stringify(body)));
      expect(await receipt('a', id), id).toEqual({ kind: 'a', id, status: 'refused', reason: expect.stringMatching(reason) });
    }
    alarmFailure = new InvalidEventError('alarm event e8: unknown level');
    await ingest.accept(gwA, topics.alarm('gw-a', 'e8'), Buffer.from(JSON.stringify(full)));
    expect(await receipt('a', 'e8')).toEqual({ kind: 'a', id: 'e8', status: 'refused', reason: 'alarm event e8: unknown level' });
    expect(stats.counter('ingest.event_refused', { gateway: 'gw-a' })).toBe(8);
    expect(events).toEqual([]);
  });

  it('an alarm store failure (the database) sends no receipt, and the resend is stored', async () => {
    const { ingest } = make();
    alarmFailure = new Error('database down');
    const body = Buffer.from(JSON.stringify(alarmEvent({ eventId: 'ev-9', alarmId: 'smoke-1/smoke' })));
    await ingest.accept(gwA, topics.alarm('gw-a', 'ev-9'), body);
    expect(stats.counter('ingest.handle_failed', { gateway: 'gw-a' })).toBe(1);
    await new Promise((r) => setImmediate(r));
    expect(receiptsFor('gw-a')).toEqual([]);
    alarmFailure = undefined;
    await ingest.accept(gwA, topics.alarm('gw-a', 'ev-9'), body);
    expect(await receipt('a', 'ev-9')).toMatchObject({ status: 'stored' });
    expect(events).toHaveLength(1);
  });

  it('status messages: JSON sets the status and connected from online; the bare LWT "offline"; other text keeps it connected', async () => {
    const { ingest } = make();
    const status = { gateway: 'gw-a', online: true, ts: now, timeSynced: true, version: '1', uptimeS: 5, spool: { telemetryBytes: 0, alarmEvents: 0, dropped: 0, oldestMs: undefined }, sources: {} };
    await ingest.accept(gwA, topics.status('gw-a'), Buffer.from(JSON.stringify(status)));
    expect(ingest.gateways.get('gw-a')).toMatchObject({ status: expect.objectContaining({ version: '1' }), connected: true });
    await ingest.accept(gwA, topics.status('gw-a'), Buffer.from(JSON.stringify({ ...status, online: false })));
    expect(ingest.gateways.get('gw-a')!.connected).toBe(false);
    await ingest.accept(gwA, topics.status('gw-a'), Buffer.from(JSON.stringify({ ...status, online: undefined })));
    expect(ingest.gateways.get('gw-a')!.connected).toBe(true);
    await ingest.accept(gwA, topics.status('gw-a'), Buffer.from(' offline\n'));
    expect(ingest.gateways.get('gw-a')!.connected).toBe(false);
    await ingest.accept(gwA, topics.status('gw-a'), Buffer.from('garbled'));
    expect(ingest.gateways.get('gw-a')!.connected).toBe(true);
    // Command results and our own topics are accepted and do nothing else.
    await ingest.accept(gwA, topics.commandResult('gw-a'), Buffer.from('{"ok":true}'));
    await ingest.accept(gwA, topics.receipt('gw-a'), Buffer.from('{}'));
    expect(stats.counter('ingest.topic_refused', { gateway: 'gw-a' })).toBe(0);
  });

  it('connection() marks a gateway connected or not, and lastSeen follows its messages', async () => {
    const { ingest } = make();
    ingest.connection(gwA, false);
    const seen = ingest.gateways.get('gw-a')!;
    expect(seen).toMatchObject({ identity: gwA, connected: false, status: undefined });
    const before = seen.lastSeen;
    expect(before).toBeGreaterThanOrEqual(now);
    await new Promise((r) => setTimeout(r, 5));
    ingest.connection(gwA, true);
    expect(ingest.gateways.get('gw-a')).toBe(seen);
    expect(seen.connected).toBe(true);
    expect(seen.lastSeen).toBeGreaterThan(before);
  });
});
