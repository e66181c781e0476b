// aedes has no maximum packet size: a client could announce a 256 MB packet before it has even
// authenticated, and aedes would buffer it. guardPacketSize checks what aedes reads from the socket: each
// MQTT fixed header (type byte + "remaining length" varint, MQTT 3.1.1 §2.2.3) and cuts the connection as
// soon as a packet announces more than the limit, before its body is buffered anywhere. The first packet
// (CONNECT, before any password check) may have a smaller limit of its own. Used by the gateway's local
// broker and the township's embedded broker.
import type { Socket } from 'node:net';

/** Follows packet boundaries across chunks; returns false when a packet is too large or its length is malformed. */
export class FixedHeaderScanner {
  private state: 'type' | 'length' | 'body' = 'type';
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  private remaining = 0;

  private packets = 0;

  constructor(
    private readonly maxPacketBytes: number,
    /** Limit of the first packet (CONNECT); defaults to maxPacketBytes. */
    private readonly firstPacketMaxBytes = maxPacketBytes,
  ) {}

  /** The announced length of the packet that broke the limit, for the log. */
  lastLength = 0;

  feed(chunk: Buffer): boolean {
    let i = 0;
    while (i < chunk.length) {
      if (this.state === 'type') {
        i++;
        this.state = 'length';
        this.length = 0;
        this.multiplier = 1;
        this.lengthBytes = 0;
      } else if (this.state === 'length') {
        const byte = chunk[i++]!;
        this.length += (byte & 0x7f) * this.multiplier;
        this.multiplier *= 128;
        this.lengthBytes++;
        this.lastLength = this.length;
        if (this.length > (this.packets === 0 ? this.firstPacketMaxBytes : this.maxPacketBytes)) return false;
        if (byte & 0x80) {
          if (this.lengthBytes >= 4) return false; // a fifth length byte is malformed
          continue;
        }
        this.remaining = this.length;
        this.packets++;
        this.state = this.remaining === 0 ? 'type' : 'body';
      } else {
        const take = Math.min(this.remaining, chunk.length - i);
        i += take;
        this.remaining -= take;
        if (this.remaining === 0) this.state = 'type';
      }
    }
    return true;
  }
}

/**
 * Hands a broker connection to aedes with every inbound byte checked by a FixedHeaderScanner first: the
 * connection is cut at the first packet announcing more than the limit, before the broker has buffered
 * any of its body. aedes reads its connection with `read()` on 'readable' (paused mode, never 'data'),
 * so wrapping that one method of the socket is enough, and the socket itself stays aedes' stream. A
 * Duplex in between (as before) doubled the stream machinery in both directions (its own read buffer and
 * nextTick per chunk, its own write queue in front of the socket's): about 7 % of the township's CPU per
 * measurement at 1,000 gateways (bench:fleet, alternated pairs, docs/city-scale.md; issue 19). The
 * socket's own cork/uncork and writev keep what the broker writes corked (a packet's pieces) in one
 * write syscall. Bytes not yet read wait in the socket's buffer, which stops reading from the kernel at
 * its high-water mark, so what a connection holds before its check is bounded.
 */
export function guardPacketSize<S extends Socket>(socket: S, maxPacketBytes: number, onTooLarge: (announcedBytes: number) => void, firstPacketMaxBytes = maxPacketBytes): S {
  const scanner = new FixedHeaderScanner(maxPacketBytes, firstPacketMaxBytes);
  const read = socket.read.bind(socket);
  socket.read = (size?: number) => {
    const chunk = read(size) as Buffer | string | null;
    if (chunk === null || socket.destroyed) return null;
    if (!scanner.feed(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)) {
      onTooLarge(scanner.lastLength);
      socket.destroy();
      return null;
    }
    return chunk;
  };
  return socket;
}
