// When the Modbus TCP transport re-makes its connection (issue 13 item 6): at once after an answer that
// breaks the framing (it cannot tell where the next answer starts), after TCP_TIMEOUTS_BEFORE_RECONNECT
// timeouts in a row, never after fewer, and an answer in between starts the count again. A scripted slave
// on 127.0.0.1: unit 1 answers, unit 9 is silent, unit 5 answers with the wrong unit id.
import { afterEach, describe, expect, it } from 'vitest';
import { ModbusTransport, TCP_TIMEOUTS_BEFORE_RECONNECT } from '../../../../gateway/drivers/modbus/transport.js';
import { mbap, registers, scriptedSlave, type ScriptedSlave } from '../../../helpers/modbus-tcp-slave.js';

/** Unit 1 answers (register i = address + i), unit 9 is silent, unit 5 answers with unit id 6. */
function slave(): Promise<ScriptedSlave> {
  return scriptedSlave((request) => {
    const unit = request[6]!;
    if (unit === 9) return [];
    return [registers(request, request.readUInt16BE(0), unit === 5 ? 6 : unit)];
  });
}

const block = { function: 3 as const, address: 10, count: 2, points: [] };

describe('ModbusTransport over TCP', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  async function open(): Promise<{ transport: ModbusTransport; s: ScriptedSlave; read: (unit: number) => Promise<string> }> {
    const s = await slave();
    const transport = new ModbusTransport({ id: 'tcp-bus', type: 'tcp', host: '127.0.0.1', port: s.port, timeout: 500 });
    close = async () => {
      await transport.close();
      await s.close();
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
    // Exception 02 (illegal data address) to every read.
    const s = await scriptedSlave((request) => [mbap(request.readUInt16BE(0), request[6]!, [0x83, 0x02])]);
    const transport = new ModbusTransport({ id: 'tcp-bus', type: 'tcp', host: '127.0.0.1', port: s.port, timeout: 500 });
    close = async () => {
      await transport.close();
      await s.close();
    };
    for (let i = 0; i < 3; i++) await expect(transport.read(1, block)).rejects.toMatchObject({ kind: 'exception', exceptionCode: 2 });
    expect(transport.reconnects).toBe(0);
    expect(s.connections()).toBe(1);
  });
});
