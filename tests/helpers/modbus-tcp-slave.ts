// A scripted Modbus TCP slave on 127.0.0.1 for tests that must know every byte on the wire: each 12-byte
// read request is handed to a script that returns the writes to answer it with ([] = silence). Counts
// connections and keeps the requests; `resetAll` resets every open connection (a TCP RST, as a
// cable pulled at a TCP-to-RTU gateway).
import { createServer, type Server, type Socket } from 'node:net';

/** What the slave does with the n-th request (0-based): the bytes to send back, each one write; [] = silence. */
export type SlaveScript = (request: Buffer, n: number) => Buffer[];

export interface ScriptedSlave {
  readonly server: Server;
  readonly port: number;
  readonly requests: Buffer[];
  connections(): number;
  resetAll(): void;
  close(): Promise<void>;
}

/** An MBAP frame; `lengthDelta` and `protocol` make malformed headers. */
export function mbap(tid: number, unit: number, pdu: readonly number[], lengthDelta = 0, protocol = 0): Buffer {
  const frame = Buffer.alloc(7 + pdu.length);
  frame.writeUInt16BE(tid, 0);
  frame.writeUInt16BE(protocol, 2);
  frame.writeUInt16BE(1 + pdu.length + lengthDelta, 4);
  frame[6] = unit;
  Buffer.from(pdu).copy(frame, 7);
  return frame;
}

/** The FC3/FC4 answer with register i = address + i, from `unit` (default: the request's). */
export function registers(request: Buffer, tid = request.readUInt16BE(0), unit = request[6]!): Buffer {
  const address = request.readUInt16BE(8);
  const count = request.readUInt16BE(10);
  const pdu = [request[7]!, 2 * count];
  for (let i = 0; i < count; i++) pdu.push((address + i) >> 8, (address + i) & 0xff);
  return mbap(tid, unit, pdu);
}

export async function scriptedSlave(script: SlaveScript): Promise<ScriptedSlave> {
  const requests: Buffer[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((socket: Socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      while (buffer.length >= 12) {
        const request = Buffer.from(buffer.subarray(0, 12));
        buffer = buffer.subarray(12);
        const n = requests.push(request) - 1;
        for (const part of script(request, n)) socket.write(part);
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    server,
    port: (server.address() as { port: number }).port,
    requests,
    connections: () => connections,
    resetAll: () => sockets.forEach((socket) => socket.resetAndDestroy()),
    close: () =>
      new Promise<void>((resolve) => {
        sockets.forEach((socket) => socket.destroy());
        server.close(() => resolve());
      }),
  };
}
