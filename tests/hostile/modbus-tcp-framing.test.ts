// One malformed Modbus TCP answer must not take a bus offline for good (issue 13 item 6): a slave that
// once sends an MBAP length 20 bytes too long leaves modbus-serial waiting for bytes of the next answer,
// and every answer after it is misread. The transport re-makes the connection after a framing error or
// repeated timeouts, and reads come back. A scripted slave, so every answer is known.
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ModbusTransport, TCP_TIMEOUTS_BEFORE_RECONNECT } from '../../gateway/drivers/modbus/transport.js';

/** Answers FC3 with register i = address + i; the first answer's MBAP length is `extra` bytes too long. */
function scriptedSlave(extra: number): Promise<{ server: Server; port: number; connections: () => number; requests: () => number }> {
  let connections = 0;
  let requests = 0;
  let first = true;
  const server = createServer((socket: Socket) => {
    connections++;
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      while (buffer.length >= 12) {
        const request = buffer.subarray(0, 12);
        buffer = buffer.subarray(12);
        requests++;
        const address = request.readUInt16BE(8);
        const count = request.readUInt16BE(10);
        const pdu = Buffer.alloc(2 + 2 * count);
        pdu[0] = 3;
        pdu[1] = 2 * count;
        for (let i = 0; i < count; i++) pdu.writeUInt16BE(address + i, 2 + 2 * i);
        const mbap = Buffer.alloc(7);
        mbap.writeUInt16BE(request.readUInt16BE(0), 0); // transaction id
        mbap.writeUInt16BE(0, 2);
        mbap.writeUInt16BE(1 + pdu.length + (first ? extra : 0), 4);
        mbap[6] = request[6]!;
        first = false;
        socket.write(Buffer.concat([mbap, pdu]));
      }
    });
    socket.on('error', () => undefined);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port, connections: () => connections, requests: () => requests })));
}

describe('Modbus TCP after a malformed MBAP frame', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
  });

  it('reconnects and reads again, with correct registers, within a few attempts', async () => {
    const slave = await scriptedSlave(20);
    const transport = new ModbusTransport({ id: 'tcp-bus', type: 'tcp', host: '127.0.0.1', port: slave.port, timeout: 300 });
    close = async () => {
      await transport.close();
      await new Promise<void>((resolve) => slave.server.close(() => resolve()));
    };
    const outcomes: string[] = [];
    let words: number[] | undefined;
    for (let attempt = 0; attempt < 8 && words === undefined; attempt++) {
      try {
        const result = await transport.read(1, { function: 3, address: 100, count: 4, points: [] });
        if (result.kind === 'words') words = result.words;
        outcomes.push('ok');
      } catch (error) {
        outcomes.push((error as { kind?: string }).kind ?? 'error');
      }
    }
    expect(words).toEqual([100, 101, 102, 103]);
    expect(transport.reconnects).toBeGreaterThanOrEqual(1);
    expect(slave.connections()).toBeGreaterThanOrEqual(2);
    // The bad frame cost at most the timeouts before a reconnect, plus the read that found it.
    expect(outcomes.indexOf('ok')).toBeLessThanOrEqual(TCP_TIMEOUTS_BEFORE_RECONNECT + 1);
    // And it stays good.
    for (let i = 0; i < 5; i++) expect(await transport.read(1, { function: 3, address: 7, count: 2, points: [] })).toEqual({ kind: 'words', words: [7, 8] });
  }, 30_000);
});
