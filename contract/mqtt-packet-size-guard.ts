// aedes has no maximum packet size: a client could announce a 256 MB packet before it has even
// authenticated, and aedes would buffer it. This stream sits between the TCP socket and aedes, reads each
// MQTT fixed header (type byte + "remaining length" varint, MQTT 3.1.1 §2.2.3) and cuts the connection as
// soon as a packet announces more than the limit, before its body is buffered anywhere. The first packet
// (CONNECT, before any password check) may have a smaller limit of its own. Used by the gateway's local
// broker and the township's embedded broker.
import { Duplex } from 'node:stream';
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

/** The socket as aedes sees it, with every inbound byte checked by a FixedHeaderScanner first. */
export class PacketSizeGuard extends Duplex {
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  private readonly scanner: FixedHeaderScanner;

  constructor(
    private readonly socket: Socket,
    maxPacketBytes: number,
    onTooLarge: (announcedBytes: number) => void,
    firstPacketMaxBytes = maxPacketBytes,
  ) {
    super();
    this.remoteAddress = socket.remoteAddress;
    this.remotePort = socket.remotePort;
    this.scanner = new FixedHeaderScanner(maxPacketBytes, firstPacketMaxBytes);
    socket.on('data', (chunk: Buffer) => {
      if (!this.scanner.feed(chunk)) {
        onTooLarge(this.scanner.lastLength);
        socket.destroy();
        this.destroy();
        return;
      }
      if (!this.push(chunk)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (error) => this.destroy(error));
    socket.on('close', () => this.destroy());
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.socket.write(chunk, callback);
  }

  /**
   * What the broker wrote while corked, as one socket write. mqtt-packet writes a packet in pieces (type,
   * length, topic, id, payload) between cork and uncork; without this each piece became a write syscall of
   * its own, 8-9 per telemetry batch (PUBACK and receipt), the largest single item of the township's CPU
   * at 1,000 gateways (bench:fleet profile, issue 19).
   */
  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    this.socket.write(chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map((c) => c.chunk)), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.socket.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.destroy();
    callback(error);
  }
}
