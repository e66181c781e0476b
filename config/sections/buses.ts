// Buses: one RS-485 port (Modbus RTU), one Modbus TCP host, one serial line to firmware-bridge nodes, or one
// RS-485 port of DL/T 645 meters (./dlt645.ts).
// Devices with different serial settings cannot share an RS-485 port, so settings live on the bus.
import { z } from 'zod';
import { duration, id, serialSettings } from './common.js';
import { dlt645Bus } from './dlt645.js';

export const rtuBus = z.strictObject({
  id,
  type: z.literal('rtu'),
  port: z.string().min(1).describe('Serial device, e.g. /dev/ttyAMA0 or /dev/ttyUSB0'),
  ...serialSettings,
  timeout: duration.prefault('500ms').describe('Response timeout per transaction (200–500 ms is practical at 9600)'),
});

export const tcpBus = z.strictObject({
  id,
  type: z.literal('tcp'),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(502),
  timeout: duration.prefault('1s'),
});

export const serialNodeBus = z.strictObject({
  id,
  type: z.literal('serial-node'),
  port: z.string().min(1).describe('Serial device the firmware-bridge nodes are on'),
  baud: z.number().int().positive().default(115200),
});

export const bus = z.discriminatedUnion('type', [rtuBus, tcpBus, serialNodeBus, dlt645Bus]);
export type Bus = z.infer<typeof bus>;
