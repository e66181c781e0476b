// The packet-size guard on a broker's socket, read as aedes reads it (read() on 'readable'): packets pass
// unchanged across any chunking, the first packet announcing more than the limit cuts the connection
// before a byte of its body is handed over, the first packet (CONNECT) has its own limit, and what the
// broker writes corked (mqtt-packet writes a packet in pieces) leaves in one writev (issue 19: 8-9 write
// syscalls per telemetry batch were once the township's largest CPU item at 1,000 gateways).
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { guardPacketSize } from '../../contract/mqtt-packet-size-guard.js';
import { waitFor } from '../helpers/wait.js';

describe('guardPacketSize', () => {
  let server: Server | undefined;
  let client: Socket | undefined;
  afterEach(async () => {
    client?.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  /** A loopback pair; the server side guarded and read in paused mode, as aedes reads it. */
  async function pair(limit: number, firstLimit = limit) {
    let accepted: (s: Socket) => void = () => undefined;
    const serverSocket = new Promise<Socket>((resolve) => (accepted = resolve));
    server = createServer((s) => accepted(s));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
    const fromServer: Buffer[] = [];
    client = connect((server.address() as AddressInfo).port, '127.0.0.1');
    client.on('data', (c: Buffer) => fromServer.push(c));
    client.on('error', () => undefined);
    const tooLarge: number[] = [];
    const socket = guardPacketSize(await serverSocket, limit, (announced) => tooLarge.push(announced), firstLimit);
    const read: Buffer[] = [];
    socket.on('readable', () => {
      for (let chunk = socket.read() as Buffer | null; chunk !== null; chunk = socket.read() as Buffer | null) read.push(chunk);
    });
    socket.on('error', () => undefined);
    return { socket, tooLarge, read: () => Buffer.concat(read), fromServer: () => Buffer.concat(fromServer) };
  }

  /** Writes each piece as a TCP segment of its own (Nagle off, one tick apart). */
  async function send(...pieces: Buffer[]): Promise<void> {
    client!.setNoDelay(true);
    for (const piece of pieces) {
      client!.write(piece);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  it('hands over packets unchanged, whatever the chunking, the length varint split included', async () => {
    const { read, tooLarge } = await pair(1024);
    const connectPacket = Buffer.concat([Buffer.from([0x10, 0x05]), Buffer.from('abcde')]);
    // A 200-byte publish: remaining length 200 is two varint bytes (0xC8 0x01), split between chunks.
    const publish = Buffer.concat([Buffer.from([0x30, 0xc8, 0x01]), Buffer.alloc(200, 7)]);
    const ping = Buffer.from([0xc0, 0x00]);
    await send(connectPacket.subarray(0, 1), connectPacket.subarray(1), publish.subarray(0, 2), publish.subarray(2, 50), Buffer.concat([publish.subarray(50), ping]));
    const all = Buffer.concat([connectPacket, publish, ping]);
    await waitFor('every byte read', () => read().length === all.length || undefined);
    expect(read()).toEqual(all);
    expect(tooLarge).toEqual([]);
  });

  it('cuts the connection at a packet announcing more than the limit, before its body is read', async () => {
    const { socket, read, tooLarge } = await pair(1024);
    const small = Buffer.concat([Buffer.from([0x10, 0x02]), Buffer.from('ok')]);
    // 1,025 announced (0x81 0x08), then body bytes that must never reach the reader.
    await send(small, Buffer.from([0x30, 0x81, 0x08]), Buffer.alloc(600, 9));
    await waitFor('the connection cut', () => socket.destroyed || undefined);
    expect(tooLarge).toEqual([1025]);
    expect(read()).toEqual(small);
    expect(socket.read()).toBeNull();
  });

  it('takes exactly the limit, and holds the first packet to its own limit', async () => {
    const atLimit = await pair(300, 64);
    const connect64 = Buffer.concat([Buffer.from([0x10, 64]), Buffer.alloc(64, 1)]);
    const publish300 = Buffer.concat([Buffer.from([0x30, 0xac, 0x02]), Buffer.alloc(300, 2)]);
    await send(connect64, publish300);
    await waitFor('both packets read', () => atLimit.read().length === connect64.length + publish300.length || undefined);
    expect(atLimit.tooLarge).toEqual([]);
    client!.destroy();
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;

    const first = await pair(300, 64);
    await send(Buffer.from([0x10, 65]), Buffer.alloc(65, 1));
    await waitFor('the connection cut', () => first.socket.destroyed || undefined);
    expect(first.tooLarge).toEqual([65]);
    expect(first.read().length).toBe(0);
  });

  it('refuses a remaining length of more than four varint bytes', async () => {
    const { socket, read } = await pair(1 << 30);
    await send(Buffer.from([0x30, 0x80, 0x80, 0x80, 0x80, 0x01]));
    await waitFor('the connection cut', () => socket.destroyed || undefined);
    expect(read().length).toBe(0);
  });

  it('leaves the socket\'s writes alone: pieces written corked leave in one writev, in order', async () => {
    const { socket, fromServer } = await pair(1024);
    const writev: number[] = [];
    const original = (socket as unknown as { _writev: (chunks: { chunk: Buffer }[], cb: (error?: Error | null) => void) => void })._writev.bind(socket);
    (socket as unknown as { _writev: typeof original })._writev = (chunks, cb) => {
      writev.push(chunks.length);
      original(chunks, cb);
    };
    // A PUBACK as mqtt-packet writes it: header, then the message id, then uncork on the next tick.
    const done: string[] = [];
    socket.cork();
    socket.write(Buffer.from([0x40, 0x02]), () => done.push('header'));
    socket.write(Buffer.from([0x12, 0x34]), () => done.push('id'));
    process.nextTick(() => socket.uncork());
    await waitFor('both pieces at the client', () => fromServer().length === 4 || undefined);
    expect(fromServer()).toEqual(Buffer.from([0x40, 0x02, 0x12, 0x34]));
    expect(writev).toEqual([2]);
    await waitFor('both write callbacks', () => done.length === 2 || undefined);
  });
});
