// What went wrong on a Modbus transaction, as a decision: worth an immediate retry, or a device that is
// silent for the rest of the cycle. Both clients (modbus-serial for RTU, ./tcp-client.ts for TCP) end in it.
import type { SourceFaultKind } from '../../pipeline/types.js';

export class ModbusFault extends Error {
  constructor(
    readonly kind: SourceFaultKind,
    message: string,
    readonly exceptionCode?: number,
    /** True when finding this out took a whole response timeout (silence, or an answer that stopped short). */
    readonly waitedForTimeout = kind === 'timeout',
  ) {
    super(message);
    this.name = 'ModbusFault';
  }

  /** A garbled answer that came back at once: the device is there, so one immediate retry is cheap. */
  get worthRetry(): boolean {
    return (this.kind === 'crc' || this.kind === 'short_frame') && !this.waitedForTimeout;
  }

  /**
   * True when the device (or the line to it) did not answer usefully, so further requests to it in this
   * cycle would only cost more timeouts. Exceptions 10/11 come from a TCP gateway whose RTU target is dead.
   */
  get deviceSilent(): boolean {
    if (this.kind === 'exception') return this.exceptionCode === 10 || this.exceptionCode === 11;
    return this.kind !== 'decode';
  }
}

/** Maps modbus-serial's errors onto fault kinds. Anything unrecognised is a connection fault (the link gets reset). */
export function classifyModbusError(error: unknown): ModbusFault {
  if (error instanceof ModbusFault) return error;
  const err = error as { message?: string; modbusCode?: number; errno?: string; code?: string } | undefined;
  const message = err?.message ?? String(error);
  if (typeof err?.modbusCode === 'number') return new ModbusFault('exception', `exception ${err.modbusCode}: ${message}`, err.modbusCode);
  if (err?.errno === 'ETIMEDOUT' || /timed out/i.test(message)) return new ModbusFault('timeout', 'no answer within the timeout');
  if (/crc/i.test(message)) return new ModbusFault('crc', message);
  if (/data length|unexpected data/i.test(message)) return new ModbusFault('short_frame', message);
  return new ModbusFault('connection', message);
}
