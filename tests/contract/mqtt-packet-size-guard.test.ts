// The packet-size guard between a broker's socket and aedes: what the broker writes corked (mqtt-packet
// writes one packet in pieces between cork and uncork) reaches the socket as one write, not a syscall per
// piece (issue 19: 8-9 writes per telemetry batch were the township's largest CPU item at 1,000 gateways).
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PacketSizeGuard } from '../../contract/mqtt-packet-size-guard.js';
import { waitFor } from '../helpers/wait.js';

describe('PacketSizeGuard writes', () => {
  let server: Server | undefined;
  let client: Socket | undefined;
  afterEach(async () => {
    client?.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  async function pair(): Promise<{ guard: PacketSizeGuard; serverSocket: Socket; received: () => Buffer }> {
    let accepted: (s: Socket) => void = () => undefined;
    const serverSocket = new Promise<Socket>((resolve) => (accepted = resolve));
    server = createServer((s) => accepted(s));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
    const chunks: Buffer[] = [];
    client = connect((server.address() as AddressInfo).port, '127.0.0.1');
    client.on('data', (c: Buffer) => chunks.push(c));
    const socket = await serverSocket;
    return { guard: new PacketSizeGuard(socket, 1024, () => undefined), serverSocket: socket, received: () => Buffer.concat(chunks) };
  }

  it('sends the pieces written while corked in one socket write, bytes in order', async () => {
    const { guard, serverSocket, received } = await pair();
    const writes: number[] = [];
    const write = serverSocket.write.bind(serverSocket) as (chunk: Buffer, cb?: (error?: Error | null) => void) => boolean;
    serverSocket.write = ((chunk: Buffer, cb?: (error?: Error | null) => void) => {
      writes.push(chunk.length);
      return write(chunk, cb);
    }) as typeof serverSocket.write;
    // A PUBACK as mqtt-packet writes it: header, then the message id, then uncork on the next tick.
    const done: string[] = [];
    guard.cork();
    guard.write(Buffer.from([0x40, 0x02]), () => done.push('header'));
    guard.write(Buffer.from([0x12, 0x34]), () => done.push('id'));
    process.nextTick(() => guard.uncork());
    await waitFor('both pieces at the client', () => received().length === 4 || undefined);
    expect(received()).toEqual(Buffer.from([0x40, 0x02, 0x12, 0x34]));
    expect(writes).toEqual([4]);
    await waitFor('both write callbacks', () => done.length === 2 || undefined);
    // An uncorked write still goes through at once.
    guard.write(Buffer.from([0xd0, 0x00]));
    await waitFor('the PINGRESP', () => received().length === 6 || undefined);
    expect(writes).toEqual([4, 2]);
  });
});
