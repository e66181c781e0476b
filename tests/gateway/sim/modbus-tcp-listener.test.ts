// The simulator's Modbus TCP listener, against modbus-serial's client (the library the gateway polls
// with) and a raw socket for the framing cases a client library never sends.
import { connect, type Socket } from 'node:net';
import modbusSerial from 'modbus-serial';
import { afterEach, describe, expect, it } from 'vitest';
import { ModbusException, ModbusTcpListener, type ReadHandlers } from '../../../gateway/sim/modbus-tcp-listener.js';
import { freePort } from '../../helpers/peers.js';

const UNIT = 7;
const asked: string[] = [];
const handlers: ReadHandlers = {
  registers(unit, fn, address, quantity) {
    asked.push(`${unit}:${fn}:${address}:${quantity}`);
    if (unit !== UNIT) return undefined;
    if (address >= 100) throw new ModbusException(2, 'unmapped');
    if (address === 99) throw new Error('simulator bug');
    return Array.from({ length: quantity }, (_, i) => (fn === 3 ? 0x1000 : 0x2000) + address + i);
  },
  bits(unit, fn, address, quantity) {
    if (unit !== UNIT) return undefined;
    return Array.from({ length: quantity }, (_, i) => (address + i) % 3 === 0 && fn === 1);
  },
};

let listener: ModbusTcpListener | undefined;
type ModbusRTU = InstanceType<typeof modbusSerial.default>;
const clients: ModbusRTU[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  asked.length = 0;
  for (const client of clients.splice(0)) await new Promise<void>((resolve) => client.close(() => resolve()));
  for (const socket of sockets.splice(0)) socket.destroy();
  await listener?.close();
  listener = undefined;
});

async function start(): Promise<number> {
  const port = await freePort();
  listener = new ModbusTcpListener(handlers);
  await listener.listen('127.0.0.1', port);
  return port;
}

async function client(port: number): Promise<ModbusRTU> {
  const c = new modbusSerial.default();
  clients.push(c);
  await c.connectTCP('127.0.0.1', { port });
  c.setID(UNIT);
  c.setTimeout(500);
  return c;
}

/** Sends raw bytes and collects what comes back until `bytes` have arrived or the socket closes. */
async function raw(port: number, request: Buffer, bytes: number, chunks: number[] = [request.length]): Promise<{ data: Buffer; closed: boolean }> {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return new Promise((resolve) => {
    let data = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      if (data.length >= bytes) resolve({ data, closed: false });
    });
    socket.once('close', () => resolve({ data, closed: true }));
    let offset = 0;
    const sendNext = (index: number) => {
      if (index >= chunks.length) return;
      socket.write(request.subarray(offset, offset + chunks[index]!));
      offset += chunks[index]!;
      setImmediate(() => sendNext(index + 1));
    };
    sendNext(0);
  });
}

function readRequest(transaction: number, unit: number, fn: number, address: number, quantity: number): Buffer {
  const adu = Buffer.alloc(12);
  adu.writeUInt16BE(transaction, 0);
  adu.writeUInt16BE(0, 2);
  adu.writeUInt16BE(6, 4);
  adu[6] = unit;
  adu[7] = fn;
  adu.writeUInt16BE(address, 8);
  adu.writeUInt16BE(quantity, 10);
  return adu;
}

describe('simulator Modbus TCP listener', () => {
  it('answers holding and input register reads with the handler words, in order', async () => {
    const c = await client(await start());
    expect((await c.readHoldingRegisters(10, 3)).data).toEqual([0x100a, 0x100b, 0x100c]);
    expect((await c.readInputRegisters(0, 125)).data).toHaveLength(125);
    expect((await c.readInputRegisters(5, 1)).data).toEqual([0x2005]);
    expect(asked).toEqual([`${UNIT}:3:10:3`, `${UNIT}:4:0:125`, `${UNIT}:4:5:1`]);
  });

  it('packs coil and discrete input bits LSB first', async () => {
    const c = await client(await start());
    const coils = await c.readCoils(0, 10);
    expect(coils.data.slice(0, 10)).toEqual([true, false, false, true, false, false, true, false, false, true]);
    expect(coils.buffer).toEqual(Buffer.from([0b0100_1001, 0b0000_0010]));
    expect((await c.readDiscreteInputs(0, 3)).data.slice(0, 3)).toEqual([false, false, false]);
  });

  it('answers exception 02 for an unmapped address, 04 for a handler failure and 01 for a write', async () => {
    const c = await client(await start());
    await expect(c.readHoldingRegisters(100, 2)).rejects.toMatchObject({ modbusCode: 2 });
    await expect(c.readHoldingRegisters(99, 1)).rejects.toMatchObject({ modbusCode: 4 });
    await expect(c.writeRegister(1, 5)).rejects.toMatchObject({ modbusCode: 1 });
    // the connection is still good after exceptions
    expect((await c.readHoldingRegisters(1, 1)).data).toEqual([0x1001]);
  });

  it('answers exception 03 for a quantity out of range, keeping the transaction id', async () => {
    const port = await start();
    const { data } = await raw(port, readRequest(0xbeef, UNIT, 3, 0, 126), 9);
    expect([...data]).toEqual([0xbe, 0xef, 0, 0, 0, 3, UNIT, 0x83, 0x03]);
  });

  it('stays silent for a unit nobody simulates, as a dead slave does', async () => {
    const c = await client(await start());
    c.setID(UNIT + 1);
    await expect(c.readHoldingRegisters(0, 1)).rejects.toMatchObject({ name: 'TransactionTimedOutError' });
  });

  it('answers two requests that arrive in one chunk, and one that arrives a byte at a time', async () => {
    const port = await start();
    const two = Buffer.concat([readRequest(1, UNIT, 3, 0, 1), readRequest(2, UNIT, 4, 0, 1)]);
    const both = await raw(port, two, 22);
    expect(both.data.readUInt16BE(0)).toBe(1);
    expect(both.data.readUInt16BE(9)).toBe(0x1000);
    expect(both.data.readUInt16BE(11)).toBe(2);
    expect(both.data.readUInt16BE(20)).toBe(0x2000);

    const split = await raw(port, readRequest(3, UNIT, 3, 4, 1), 11, Array<number>(12).fill(1));
    expect([...split.data]).toEqual([0, 3, 0, 0, 0, 5, UNIT, 3, 2, 0x10, 0x04]);
  });

  it('drops a connection whose header is not Modbus TCP (protocol id, or a length past 254)', async () => {
    const port = await start();
    const badProtocol = readRequest(1, UNIT, 3, 0, 1);
    badProtocol.writeUInt16BE(1, 2);
    expect(await raw(port, badProtocol, 1)).toEqual({ data: Buffer.alloc(0), closed: true });
    const tooLong = readRequest(1, UNIT, 3, 0, 1);
    tooLong.writeUInt16BE(255, 4);
    expect(await raw(port, tooLong, 1)).toEqual({ data: Buffer.alloc(0), closed: true });
  });
});
