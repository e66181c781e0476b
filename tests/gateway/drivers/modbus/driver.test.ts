// The Modbus driver runs one poller per bus: sources on two buses are each read on their own connection,
// a socket reset on one bus is counted as that bus's port error (and the next read reconnects), and stop()
// ends the polling of every bus. Two scripted Modbus TCP slaves on 127.0.0.1 that answer every read.
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, waitFor, type Recorded } from './harness.js';

interface Slave {
  server: Server;
  port: number;
  requests: () => number;
  connections: () => number;
  resetAll: () => void;
}

/** Answers every FC3/FC4 read with register i = i, on any unit id. */
function slave(): Promise<Slave> {
  let requests = 0;
  let connections = 0;
  const sockets = new Set<Socket>();
  const server = createServer((socket: Socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      while (buffer.length >= 12) {
        const request = buffer.subarray(0, 12);
        buffer = buffer.subarray(12);
        requests++;
        const count = request.readUInt16BE(10);
        const pdu = Buffer.alloc(2 + 2 * count);
        pdu[0] = request[7]!;
        pdu[1] = 2 * count;
        const mbap = Buffer.alloc(7);
        mbap.writeUInt16BE(request.readUInt16BE(0), 0);
        mbap.writeUInt16BE(1 + pdu.length, 4);
        mbap[6] = request[6]!;
        socket.write(Buffer.concat([mbap, pdu]));
      }
    });
    socket.on('error', () => undefined);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        server,
        port: (server.address() as { port: number }).port,
        requests: () => requests,
        connections: () => connections,
        resetAll: () => sockets.forEach((s) => s.resetAndDestroy()),
      }),
    ),
  );
}

describe('ModbusDriver', () => {
  let gw: Recorded | undefined;
  const slaves: Slave[] = [];
  afterEach(async () => {
    await gw?.stop();
    gw = undefined;
    await Promise.all(slaves.splice(0).map((s) => new Promise<void>((resolve) => s.server.close(() => resolve()))));
  });

  it('polls each bus on its own connection, counts a reset as that bus\'s port error, and stops every bus', async () => {
    const [a, b] = await Promise.all([slave(), slave()]);
    slaves.push(a!, b!);
    gw = await startGateway({
      buses: [
        { id: 'b1', type: 'tcp', host: '127.0.0.1', port: a!.port, timeout: '300ms' },
        { id: 'b2', type: 'tcp', host: '127.0.0.1', port: b!.port, timeout: '300ms' },
      ],
      sources: [
        { id: 'm1', profile: 'eastron/sdm120', bus: 'b1', unit: 1, poll: '100ms' },
        { id: 'm2', profile: 'eastron/sdm120', bus: 'b1', unit: 2, poll: '100ms' },
        { id: 'm3', profile: 'eastron/sdm120', bus: 'b2', unit: 1, poll: '100ms' },
      ],
    });
    const readingsOf = (source: string) => gw!.readings.filter((r) => r.source === source).length;
    await waitFor('readings from every source on both buses', () => ['m1', 'm2', 'm3'].every((s) => readingsOf(s) >= 2) || undefined);
    expect(a!.connections()).toBe(1);
    expect(b!.connections()).toBe(1);

    b!.resetAll();
    await waitFor('the reset counted on bus b2', () => gw!.counter('modbus.port_error', { bus: 'b2' }) >= 1 || undefined);
    expect(gw!.counter('modbus.port_error', { bus: 'b1' })).toBe(0);
    const m3Before = readingsOf('m3');
    await waitFor('bus b2 read again on a new connection', () => (b!.connections() === 2 && readingsOf('m3') > m3Before) || undefined);

    await gw.stop();
    gw = undefined;
    const stopped = [a!.requests(), b!.requests()];
    // Nothing is read after stop: ten poll periods later both slaves have had no request.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect([a!.requests(), b!.requests()]).toEqual(stopped);
  });
});
