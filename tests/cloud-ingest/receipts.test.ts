// Receipts batched per gateway and tick (issue 18, mutation survivors of cloud-ingest/ingest/receipts.ts):
// items settled in one tick for one gateway go out as one message, split at 500 items; without a channel
// they are counted as unsent; a failed send is counted, never thrown. No broker: a recording channel.
import { setImmediate as nextTick } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { Receipt, ReceiptItem } from '../../contract/wire.js';
import { ReceiptBatcher } from '../../cloud-ingest/ingest/receipts.js';
import { silentLogger } from '../../contract/logger.js';
import { Stats } from '../../contract/stats.js';

const item = (n: number): ReceiptItem => ({ kind: 't', id: `b-${n}`, status: 'stored' });

function recording(fail = false) {
  const sent: { gateway: string; receipt: Receipt }[] = [];
  return {
    sent,
    channel: {
      sendReceipt: (gateway: string, receipt: Receipt) => {
        sent.push({ gateway, receipt });
        return fail ? Promise.reject(new Error('broker gone')) : Promise.resolve();
      },
    },
  };
}

describe('ReceiptBatcher', () => {
  it('sends one message per gateway for the items of one tick, and a new message for the next tick', async () => {
    const stats = new Stats();
    const batcher = new ReceiptBatcher(silentLogger(), stats);
    const { sent, channel } = recording();
    batcher.bind(channel);
    batcher.add('gw-1', item(1));
    batcher.add('gw-2', item(2));
    batcher.add('gw-1', { kind: 'a', id: 'ev-3', status: 'refused', reason: 'bad' });
    expect(sent).toEqual([]); // not before the tick ends
    await nextTick();
    expect(sent).toEqual([
      { gateway: 'gw-1', receipt: { v: 1, items: [item(1), { kind: 'a', id: 'ev-3', status: 'refused', reason: 'bad' }] } },
      { gateway: 'gw-2', receipt: { v: 1, items: [item(2)] } },
    ]);
    batcher.add('gw-1', item(4));
    await nextTick();
    expect(sent.slice(2)).toEqual([{ gateway: 'gw-1', receipt: { v: 1, items: [item(4)] } }]);
    expect(stats.counter('ingest.receipts', { gateway: 'gw-1' })).toBe(3);
    expect(stats.counter('ingest.receipts', { gateway: 'gw-2' })).toBe(1);
  });

  it('splits a tick of more than 500 items for one gateway into messages of at most 500, in order', async () => {
    const batcher = new ReceiptBatcher(silentLogger(), new Stats());
    const { sent, channel } = recording();
    batcher.bind(channel);
    for (let i = 0; i < 1001; i++) batcher.add('gw-1', item(i));
    await nextTick();
    expect(sent.map((s) => s.receipt.items.length)).toEqual([500, 500, 1]);
    expect(sent.flatMap((s) => s.receipt.items.map((x) => x.id))).toEqual(Array.from({ length: 1001 }, (_, i) => `b-${i}`));
  });

  it('counts items as unsent before a channel is bound, and a failed send as failed, without throwing', async () => {
    const stats = new Stats();
    const batcher = new ReceiptBatcher(silentLogger(), stats);
    batcher.add('gw-1', item(1));
    batcher.add('gw-1', item(2));
    await nextTick();
    expect(stats.counter('ingest.receipt_unsent', { gateway: 'gw-1' })).toBe(2);
    expect(stats.counter('ingest.receipts', { gateway: 'gw-1' })).toBe(0);
    const { sent, channel } = recording(true);
    batcher.bind(channel);
    batcher.add('gw-1', item(3));
    await nextTick();
    await nextTick();
    expect(sent).toHaveLength(1);
    expect(stats.counter('ingest.receipt_failed', { gateway: 'gw-1' })).toBe(1);
    expect(stats.counter('ingest.receipts', { gateway: 'gw-1' })).toBe(1);
  });
});
