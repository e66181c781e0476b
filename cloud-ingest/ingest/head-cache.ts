// Line heads already checked, per gateway (issue 19). A compound sends the same few dozen series every
// batch: `power,source=meter-3,building=2` is the same text in every line of that meter, and checking it
// again (contract tag keys, values, duplicates, the identity tags replaced, the series key built and
// hashed) was half of every line's check. A head that passed is remembered with what it gave, so the next
// line with the very same text (compared in full, not by hash: a hash collision must never let a head
// through unchecked) skips straight to its fields and timestamp, which are checked every time. Bounded:
// a gateway keeps at most MAX_HEADS_PER_GATEWAY heads (then starts again), and all gateways together a
// byte budget, past which the gateway that sent least recently is forgotten first. A forgotten head is
// only checked again; nothing else depends on this cache.
import type { CheckedHead, KnownHeads } from './checked-line.js';

/**
 * Most heads one gateway keeps: the series budget's default (2,000 series per gateway) fits, so an honest
 * gateway never starts again; a gateway inventing series past that only clears its own.
 */
export const MAX_HEADS_PER_GATEWAY = 2048;
/** Default budget of all gateways' heads together (estimated heap bytes). */
export const DEFAULT_HEAD_CACHE_BYTES = 16 * 1024 * 1024;
/** Bytes of one head beyond its strings' characters (the entry, its map slot, string headers). */
const HEAD_OVERHEAD = 160;

/**
 * The string as a copy of its own. A checked line's parts are V8 slices of the whole decompressed batch
 * text; kept as they are (here, or in the recent window), each would keep its batch's text (kilobytes, not
 * its few dozen bytes) alive, and a byte budget would count a third of what is really held (bench:fleet
 * at 1,000 gateways: issue 19). Concatenation then slice makes a flat string of the part's length alone.
 */
export function own(part: string): string {
  return ` ${part}`.slice(1);
}

class GatewayHeads implements KnownHeads {
  readonly heads = new Map<string, CheckedHead>();
  bytes = 0;
  /** Forgotten by the cache while a batch still checks with it: it remembers nothing more. */
  detached = false;

  constructor(
    private readonly cache: HeadCache,
    readonly gateway: string,
    /** The identity suffix the series keys were made with: a gateway moved to another compound starts again. */
    readonly suffix: string,
  ) {}

  get(head: string): CheckedHead | undefined {
    return this.heads.get(head);
  }

  remember(head: string, checked: CheckedHead): void {
    if (this.detached) return;
    if (this.heads.size >= MAX_HEADS_PER_GATEWAY) this.cache.clear(this);
    const bytes = HEAD_OVERHEAD + 2 * (head.length + checked.series.length + checked.source.length);
    this.heads.set(own(head), checked);
    this.cache.grow(this, bytes);
  }
}

export class HeadCache {
  /** Gateways in the order they last sent a batch, least recent first. */
  private readonly gateways = new Map<string, GatewayHeads>();
  private totalBytes = 0;

  constructor(private readonly maxBytes: number = DEFAULT_HEAD_CACHE_BYTES) {}

  /** The heads of one gateway, for one batch; `suffix`: identitySuffix of its identity now. */
  forGateway(gateway: string, suffix: string): KnownHeads {
    let heads = this.gateways.get(gateway);
    if (heads) this.gateways.delete(gateway);
    if (heads && heads.suffix !== suffix) {
      this.detach(heads);
      heads = undefined;
    }
    heads ??= new GatewayHeads(this, gateway, suffix);
    this.gateways.set(gateway, heads);
    return heads;
  }

  /** Estimated bytes held (all gateways). */
  bytes(): number {
    return this.totalBytes;
  }

  /** Heads held (all gateways). */
  size(): number {
    let n = 0;
    for (const g of this.gateways.values()) n += g.heads.size;
    return n;
  }

  /** @internal GatewayHeads' accounting: over the budget, the least recent other gateways go first. */
  grow(heads: GatewayHeads, bytes: number): void {
    heads.bytes += bytes;
    this.totalBytes += bytes;
    for (const other of this.gateways.values()) {
      if (this.totalBytes <= this.maxBytes) return;
      if (other === heads) continue;
      this.gateways.delete(other.gateway);
      this.detach(other);
    }
    if (this.totalBytes > this.maxBytes) this.clear(heads);
  }

  private detach(heads: GatewayHeads): void {
    this.clear(heads);
    heads.detached = true;
  }

  /** @internal Forgets one gateway's heads. */
  clear(heads: GatewayHeads): void {
    heads.heads.clear();
    this.totalBytes -= heads.bytes;
    heads.bytes = 0;
  }
}
