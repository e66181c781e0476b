// Receipts to gateways: cloud-ingest's word that a batch or alarm event is in the database. Items that
// settle in the same tick for one gateway go out as one message on lm/v1/<gateway>/receipt (QoS 1:
// RECEIPT_QOS in contract/wire.ts). A receipt that is lost costs only a resend: the gateway resends
// unreceipted ids after a reconnect or its receipt timeout, and dedup answers them again without a write.
import type { Logger } from '../../contract/logger.js';
import type { Stats } from '../../contract/stats.js';
import type { Receipt, ReceiptItem } from '../../contract/wire.js';

/** How receipts reach a gateway (the broker adapter in use). */
export interface ReceiptChannel {
  sendReceipt(gateway: string, receipt: Receipt): Promise<void>;
}

/** Most items in one receipt message; a larger tick is split. */
const MAX_ITEMS = 500;

export class ReceiptBatcher {
  private channel: ReceiptChannel | undefined;
  private pending = new Map<string, ReceiptItem[]>();
  private scheduled = false;

  constructor(
    private readonly log: Logger,
    private readonly stats: Stats,
  ) {}

  /** Set once the broker adapter exists (it is built after the ingest core it feeds). */
  bind(channel: ReceiptChannel): void {
    this.channel = channel;
  }

  add(gateway: string, item: ReceiptItem): void {
    let items = this.pending.get(gateway);
    if (!items) this.pending.set(gateway, (items = []));
    items.push(item);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const pending = this.pending;
    this.pending = new Map();
    const channel = this.channel;
    for (const [gateway, items] of pending) {
      for (let i = 0; i < items.length; i += MAX_ITEMS) {
        const chunk = items.slice(i, i + MAX_ITEMS);
        if (!channel) {
          this.stats.inc('ingest.receipt_unsent', { gateway }, chunk.length);
          continue;
        }
        this.stats.inc('ingest.receipts', { gateway }, chunk.length);
        channel.sendReceipt(gateway, { v: 1, items: chunk }).catch((error: Error) => {
          // The gateway resends what stays unreceipted; dedup answers it then.
          this.stats.inc('ingest.receipt_failed', { gateway }, chunk.length);
          this.log.warn({ gateway, items: chunk.length, err: error.message }, 'receipt not delivered; the gateway will resend and be answered again');
        });
      }
    }
  }
}
