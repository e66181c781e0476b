// The gateway's own Modbus TCP client against a scripted slave, so every byte on the wire is known: answers
// split over writes, a late answer to a request that timed out, exceptions, answers that do not fit the
// request, a header that is not Modbus TCP. The end-to-end behaviour against independent slaves is in
// tcp-pymodbus, tcp-servertcp, faults and tests/hostile/modbus-tcp-framing.
import { createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ModbusFault } from '../../../../gateway/drivers/modbus/fault.js';
import type { ReadRequest } from '../../../../gateway/drivers/modbus/plan.js';
import { ModbusTcpClient } from '../../../../gateway/drivers/modbus/tcp-client.js';
import { mbap, registers, scriptedSlave, type SlaveScript } from '../../../helpers/modbus-tcp-slave.js';
import { waitFor } from '../../../helpers/wait.js';

const FC3 = (address: number, count: number): ReadRequest => ({ function: 3, address, count, points: [] });

describe('Modbus TCP client', () => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  async function connected(script: SlaveScript) {
    const slave = await scriptedSlave(script);
    const faults: ModbusFault[] = [];
    let answers = 0;
    const client = new ModbusTcpClient({ onFault: (f) => faults.push(f), onAnswer: () => answers++, onSocketError: () => undefined });
    await client.connect('127.0.0.1', slave.port, 1000);
    cleanup = async () => {
      await client.close();
      await new Promise<void>((resolve) => slave.server.close(() => resolve()));
    };
    return { slave, client, faults, answers: () => answers };
  }

  it('writes one 12-byte MBAP request per read and reads an answer that arrives in pieces', async () => {
    const { slave, client, answers } = await connected((request) => {
      const answer = registers(request);
      return [answer.subarray(0, 3), answer.subarray(3, 9), answer.subarray(9)];
    });
    expect(await client.read(7, FC3(100, 3), 500)).toEqual({ kind: 'words', words: [100, 101, 102] });
    expect(await client.read(7, { function: 4, address: 0x10, count: 2, points: [] }, 500)).toEqual({ kind: 'words', words: [0x10, 0x11] });
    expect(slave.requests.map((r) => [...r])).toEqual([
      [0, 1, 0, 0, 0, 6, 7, 3, 0, 100, 0, 3],
      [0, 2, 0, 0, 0, 6, 7, 4, 0, 0x10, 0, 2],
    ]);
    expect(answers()).toBe(2);
  });

  it('reads coils and discrete inputs bit by bit, least significant bit first', async () => {
    const { client } = await connected((request) => [mbap(request.readUInt16BE(0), request[6]!, [request[7]!, 2, 0b1010_0101, 0b0000_0011])]);
    expect(await client.read(1, { function: 2, address: 0, count: 10, points: [] }, 500)).toEqual({ kind: 'bits', bits: [true, false, true, false, false, true, false, true, true, true] });
  });

  it('drops a late answer to a request that timed out and gives the next read its own answer', async () => {
    let held: Buffer | undefined;
    const { client, faults } = await connected((request, n) => {
      if (n === 0) {
        held = registers(request);
        return [];
      }
      // The first request's answer arrives late, just before the second's, in one write.
      return [Buffer.concat([held!, registers(request)])];
    });
    await expect(client.read(1, FC3(0, 2), 100)).rejects.toMatchObject({ kind: 'timeout' });
    expect(await client.read(1, FC3(50, 2), 500)).toEqual({ kind: 'words', words: [50, 51] });
    expect(faults.map((f) => f.kind)).toEqual(['timeout']);
  });

  it('the one re-armed timer still times out after many answered reads, and at a shorter timeout too', async () => {
    const { client } = await connected((request, n) => (n < 50 ? [registers(request)] : []));
    for (let i = 0; i < 50; i++) await client.read(1, FC3(i, 1), 200);
    const started = performance.now();
    await expect(client.read(1, FC3(0, 1), 200)).rejects.toMatchObject({ kind: 'timeout' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    // A shorter timeout for a source that asks for it is kept too.
    const again = performance.now();
    await expect(client.read(1, FC3(0, 1), 50)).rejects.toMatchObject({ kind: 'timeout' });
    expect(performance.now() - again).toBeLessThan(180);
  });

  it('turns an exception answer into an exception fault with its code', async () => {
    const { client } = await connected((request) => [mbap(request.readUInt16BE(0), request[6]!, [request[7]! | 0x80, 2])]);
    const fault = (await client.read(1, FC3(0x4000, 2), 500).then(
      () => undefined,
      (error: unknown) => error as ModbusFault,
    ))!;
    expect(fault).toMatchObject({ kind: 'exception', exceptionCode: 2, deviceSilent: false });
    expect(fault.message).toContain('Illegal data address');
  });

  it('an answer that does not fit the request is a short frame, never a partial reading', async () => {
    const answers: SlaveScript[] = [
      (request) => [mbap(request.readUInt16BE(0), request[6]!, [3, 2, 0, 1])], // one register of two
      (request) => [mbap(request.readUInt16BE(0), 9, [3, 4, 0, 1, 0, 2])], // another unit
      (request) => [mbap(request.readUInt16BE(0), request[6]!, [4, 4, 0, 1, 0, 2])], // another function
      (request) => [mbap(request.readUInt16BE(0), request[6]!, [3, 2, 0, 1, 0, 2])], // byte count disagrees with the frame
    ];
    const { client } = await connected((request, n) => answers[n]!(request, n));
    for (let i = 0; i < answers.length; i++) {
      await expect(client.read(1, FC3(0, 2), 500)).rejects.toMatchObject({ kind: 'short_frame', worthRetry: true });
    }
    expect(client.isOpen).toBe(true);
  });

  it('a header that is not Modbus TCP fails the read as a short frame and closes the connection', async () => {
    const { client } = await connected((request) => [mbap(request.readUInt16BE(0), request[6]!, [3, 4, 0, 1, 0, 2], 0, 0x1234)]);
    await expect(client.read(1, FC3(0, 2), 500)).rejects.toMatchObject({ kind: 'short_frame' });
    expect(client.isOpen).toBe(false);
    await expect(client.read(1, FC3(0, 2), 500)).rejects.toMatchObject({ kind: 'connection' });
  });

  it('an answer cut short by an MBAP length that lies is a short frame found by the timeout', async () => {
    const { client } = await connected((request) => [mbap(request.readUInt16BE(0), request[6]!, [3, 4, 0, 1, 0, 2], 20)]);
    await expect(client.read(1, FC3(0, 2), 100)).rejects.toMatchObject({ kind: 'short_frame', waitedForTimeout: true, worthRetry: false });
  });

  it('takes an MBAP length of 2 to 254 as a frame and closes the connection on one outside it', async () => {
    // Length 2 (unit and function only) and 254 (the largest ADU) are frames: they do not fit, the link stays.
    const fits: SlaveScript[] = [
      (request) => [mbap(request.readUInt16BE(0), request[6]!, [3])],
      (request) => [mbap(request.readUInt16BE(0), request[6]!, [3, 251, ...new Array<number>(251).fill(0)])],
    ];
    const { client } = await connected((request, n) => fits[n]!(request, n));
    for (let i = 0; i < fits.length; i++) await expect(client.read(1, FC3(0, 2), 500)).rejects.toMatchObject({ kind: 'short_frame', worthRetry: true });
    expect(client.isOpen).toBe(true);
    await cleanup?.();
    // The answer's own MBAP length is 7; told 1, and 255, instead.
    for (const lengthDelta of [1 - 7, 255 - 7]) {
      const { client: other } = await connected((request) => [mbap(request.readUInt16BE(0), request[6]!, [3, 4, 0, 1, 0, 2], lengthDelta)]);
      await expect(other.read(1, FC3(0, 2), 500)).rejects.toMatchObject({ kind: 'short_frame', message: expect.stringMatching(/^malformed MBAP header \(protocol 0, length (1|255)\)$/) });
      expect(other.isOpen).toBe(false);
      await cleanup?.();
      cleanup = undefined;
    }
  });

  it('an exception answer of the wrong length is a short frame, and a short answer says what came', async () => {
    const answers: SlaveScript[] = [
      (request) => [mbap(request.readUInt16BE(0), request[6]!, [request[7]! | 0x80, 2, 0])],
      (request) => [mbap(request.readUInt16BE(0), request[6]!, [3, 2, 0, 1])],
      (request) => [mbap(request.readUInt16BE(0), request[6]!, [2, 1, 0xff, 0xff])],
    ];
    const { client } = await connected((request, n) => answers[n]!(request, n));
    await expect(client.read(1, FC3(0, 2), 500)).rejects.toMatchObject({ kind: 'short_frame', message: 'Unexpected data error, expected code 3 got 131' });
    await expect(client.read(1, FC3(0, 2), 500)).rejects.toMatchObject({ kind: 'short_frame', message: 'asked for 2 registers at 0x0, got 1 registers' });
    await expect(client.read(1, { function: 2, address: 0x10, count: 10, points: [] }, 500)).rejects.toMatchObject({ kind: 'short_frame', message: 'asked for 10 bits at 0x10, got 2 bytes of bits' });
  });

  it('refuses a read while one is in flight, and after the connection is closed, as connection faults', async () => {
    const { client } = await connected(() => []);
    const first = client.read(1, FC3(0, 2), 300);
    await expect(client.read(1, FC3(0, 2), 300)).rejects.toMatchObject({ kind: 'connection', message: 'a Modbus TCP transaction is already in flight' });
    await expect(first).rejects.toMatchObject({ kind: 'timeout' });
    await client.close();
    await expect(client.read(1, FC3(0, 2), 300)).rejects.toMatchObject({ kind: 'connection', message: 'Modbus TCP connection is not open' });
  });

  it('a slave that closes the connection fails the read in flight as a connection fault', async () => {
    const sockets: Socket[] = [];
    const server = createServer((socket) => {
      sockets.push(socket);
      socket.on('data', () => socket.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const client = new ModbusTcpClient({ onFault: () => undefined, onAnswer: () => undefined, onSocketError: () => undefined });
    cleanup = async () => {
      await client.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    };
    await client.connect('127.0.0.1', (server.address() as { port: number }).port, 1000);
    await expect(client.read(1, FC3(0, 2), 2000)).rejects.toMatchObject({ kind: 'connection' });
    await waitFor('the client sees the connection closed', () => !client.isOpen, 2000);
  });
});
