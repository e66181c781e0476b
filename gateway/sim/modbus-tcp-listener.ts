// The Modbus TCP side of the simulator: MBAP framing and the four read functions, answered in the same
// turn of the event loop that decoded the request, as a Modbus TCP device answering from memory does.
// modbus-serial's ServerTCP, used before, runs every request through setTimeout(…, 0), so an answer
// waited for the next millisecond tick of the simulator's loop: one answer per tick on a connection,
// ~1,000 requests/s whatever the client did, which is what bench:peer then measured (docs/benchmarks.md).
// The simulator serves reads only; other function codes get exception 01.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/** Thrown by a handler to answer with a Modbus exception (02 illegal data address, 03 illegal value, …). */
export class ModbusException extends Error {
  constructor(readonly exceptionCode: number, message: string) {
    super(message);
  }
}

/** What the listener asks the simulator; `undefined` means the unit does not answer at all (a dead slave). */
export interface ReadHandlers {
  registers(unit: number, fn: 3 | 4, address: number, quantity: number): readonly number[] | undefined;
  bits(unit: number, fn: 1 | 2, address: number, quantity: number): readonly boolean[] | undefined;
}

const MBAP_HEADER = 7; // transaction id (2), protocol id (2), length (2), unit id (1)
const MAX_PDU = 253; // Modbus application protocol v1.1b3, 4.1
const ILLEGAL_FUNCTION = 0x01;
const ILLEGAL_DATA_VALUE = 0x03;
const SLAVE_DEVICE_FAILURE = 0x04;
const MAX_REGISTERS = 125;
const MAX_BITS = 2000;

export class ModbusTcpListener {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly handlers: ReadHandlers) {}

  /** Starts listening; returns the bound port (port 0 picks a free one). */
  async listen(host: string, port: number): Promise<number> {
    const server = createServer((socket) => this.attach(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private attach(socket: Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined); // a client hanging up is not the simulator's problem
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      let offset = 0;
      while (pending.length - offset >= MBAP_HEADER) {
        const length = pending.readUInt16BE(offset + 4); // unit id + PDU
        if (pending.readUInt16BE(offset + 2) !== 0 || length < 2 || length > MAX_PDU + 1) {
          socket.destroy(); // not Modbus TCP: a real device drops the connection too
          return;
        }
        const end = offset + 6 + length;
        if (pending.length < end) break;
        const answer = this.answer(pending.subarray(offset, end));
        if (answer) socket.write(answer);
        offset = end;
      }
      pending = offset === pending.length ? Buffer.alloc(0) : pending.subarray(offset);
    });
  }

  /** The whole ADU to send back for one request ADU, or undefined when the unit stays silent. */
  private answer(request: Buffer): Buffer | undefined {
    const unit = request[6]!;
    const fn = request[7]!;
    let pdu: Buffer | undefined;
    try {
      pdu = this.respond(unit, fn, request.subarray(8));
    } catch (error) {
      const code = error instanceof ModbusException ? error.exceptionCode : SLAVE_DEVICE_FAILURE;
      pdu = Buffer.from([fn | 0x80, code]);
    }
    if (!pdu) return undefined;
    const adu = Buffer.allocUnsafe(MBAP_HEADER + pdu.length);
    request.copy(adu, 0, 0, 4); // transaction and protocol id as asked
    adu.writeUInt16BE(pdu.length + 1, 4);
    adu[6] = unit;
    pdu.copy(adu, MBAP_HEADER);
    return adu;
  }

  private respond(unit: number, fn: number, data: Buffer): Buffer | undefined {
    if (fn < 1 || fn > 4) throw new ModbusException(ILLEGAL_FUNCTION, `function ${fn} is not served`);
    if (data.length !== 4) throw new ModbusException(ILLEGAL_DATA_VALUE, `function ${fn} wants 4 data bytes, got ${data.length}`);
    const address = data.readUInt16BE(0);
    const quantity = data.readUInt16BE(2);
    if (fn === 3 || fn === 4) {
      if (quantity < 1 || quantity > MAX_REGISTERS) throw new ModbusException(ILLEGAL_DATA_VALUE, `quantity ${quantity}`);
      const words = this.handlers.registers(unit, fn as 3 | 4, address, quantity);
      if (!words) return undefined;
      const pdu = Buffer.allocUnsafe(2 + 2 * quantity);
      pdu[0] = fn;
      pdu[1] = 2 * quantity;
      for (let i = 0; i < quantity; i++) pdu.writeUInt16BE(words[i]! & 0xffff, 2 + 2 * i);
      return pdu;
    }
    if (quantity < 1 || quantity > MAX_BITS) throw new ModbusException(ILLEGAL_DATA_VALUE, `quantity ${quantity}`);
    const bits = this.handlers.bits(unit, fn as 1 | 2, address, quantity);
    if (!bits) return undefined;
    const bytes = Math.ceil(quantity / 8);
    const pdu = Buffer.alloc(2 + bytes);
    pdu[0] = fn;
    pdu[1] = bytes;
    for (let i = 0; i < quantity; i++) if (bits[i]) pdu[2 + (i >> 3)]! |= 1 << (i & 7);
    return pdu;
  }
}
