// When the Modbus TCP transport re-makes its connection (issue 13 item 6): at once after an answer that
// breaks the framing (it cannot tell where the next answer starts), after TCP_TIMEOUTS_BEFORE_RECONNECT
// timeouts in a row, never after fewer, and an answer in between starts the count again. A scripted slave
// on 127.0.0.1: unit 1 answers, unit 9 is silent, unit 5 answers with the wrong unit id.
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ModbusTransport, TCP_TIMEOUTS_BEFORE_RECONNECT } from '../../../../gateway/drivers/modbus/transport.js';

interface Slave {
  server: Server;
  port: number;
  connections: () => number;
}

function slave(): Promise<Slave> {
  let connections = 0;
  const server = createServer((socket: Socket) => {
    connections++;
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      while (buffer.length >= 12) {
        const request = buffer.subarray(0, 12);
        buffer = buffer.subarray(12);
        const unit = request[6]!;
        if (unit === 9) continue;
        const count = request.readUInt16BE(10);
        const pdu = Buffer.alloc(2 + 2 * count);
        pdu[0] = 3;
        pdu[1] = 2 * count;
        for (let i = 0; i < count; i++) pdu.writeUInt16BE(request.readUInt16BE(8) + i, 2 + 2 * i);
        const mbap = Buffer.alloc(7);
        mbap.writeUInt16BE(request.readUInt16BE(0), 0);
        mbap.writeUInt16BE(1 + pdu.length, 4);
        mbap[6] = unit === 5 ? 6 : unit;
        socket.write(Buffer.concat([mbap, pdu]));
      }
    });
    socket.on('error', () => undefined);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port, connections: () => connections })));
}

const block = { function: 3 as const, address: 10, count: 2, points: [] };

describe('ModbusTransport over TCP', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  async function open(): Promise<{ transport: ModbusTransport; s: Slave; read: (unit: number) => Promise<string> }> {
    const s = await slave();
    const transport = new ModbusTransport({ id: 'tcp-bus', type: 'tcp', host: '127.0.0.1', port: s.port, timeout: 150 });
    close = async () => {
      await transport.close();
      await new Promise<void>((resolve) => s.server.close(() => resolve()));
    };
    const read = (unit: number) =>
      transport.read(unit, block).then(
        (result) => (result.kind === 'words' ? result.words.join(',') : 'bits'),
        (error: { kind?: string }) => error.kind ?? 'error',
      );
    return { transport, s, read };
  }

  it('names its bus as tcp://host:port', async () => {
    const { transport, s } = await open();
    expect(transport.describe()).toBe(`tcp://127.0.0.1:${s.port}`);
  });

  it('reconnects after two timeouts in a row, not after one', async () => {
    expect(TCP_TIMEOUTS_BEFORE_RECONNECT).toBe(2);
    const { transport, s, read } = await open();
    expect(await read(1)).toBe('10,11');
    expect(await read(9)).toBe('timeout');
    expect(transport.reconnects).toBe(0);
    expect(await read(1)).toBe('10,11');
    expect(s.connections()).toBe(1);
    // The answer above started the count again: one more timeout is still the first.
    expect(await read(9)).toBe('timeout');
    expect(transport.reconnects).toBe(0);
    expect(await read(9)).toBe('timeout');
    expect(transport.reconnects).toBe(1);
    expect(await read(1)).toBe('10,11');
    expect(s.connections()).toBe(2);
  });

  it('reconnects at once after an answer that breaks the framing, and reads on the new connection', async () => {
    const { transport, s, read } = await open();
    expect(await read(1)).toBe('10,11');
    expect(await read(5)).toBe('short_frame');
    expect(transport.reconnects).toBe(1);
    expect(await read(1)).toBe('10,11');
    expect(s.connections()).toBe(2);
  });

  it('an exception answer keeps the connection (the framing is intact)', async () => {
    const s = await new Promise<Slave>((resolve) => {
      let connections = 0;
      const server = createServer((socket) => {
        connections++;
        socket.on('data', (request: Buffer) => {
          const mbap = Buffer.alloc(7);
          mbap.writeUInt16BE(request.readUInt16BE(0), 0);
          mbap.writeUInt16BE(3, 4);
          mbap[6] = request[6]!;
          socket.write(Buffer.concat([mbap, Buffer.from([0x83, 0x02])]));
        });
        socket.on('error', () => undefined);
      });
      server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port, connections: () => connections }));
    });
    const transport = new ModbusTransport({ id: 'tcp-bus', type: 'tcp', host: '127.0.0.1', port: s.port, timeout: 150 });
    close = async () => {
      await transport.close();
      await new Promise<void>((resolve) => s.server.close(() => resolve()));
    };
    for (let i = 0; i < 3; i++) await expect(transport.read(1, block)).rejects.toMatchObject({ kind: 'exception', exceptionCode: 2 });
    expect(transport.reconnects).toBe(0);
    expect(s.connections()).toBe(1);
  });
});
