// DL/T 645-2007 pieces of the site config and of device profiles (../shared/reference/devices-and-field.md §2).
import { z } from 'zod';
import { duration, id } from './common.js';

/** A profile point's place in the meter: its data identifier and the standard's data format. */
export const dlt645Point = z.strictObject({
  di: z
    .string()
    .regex(/^[0-9a-f]{8}$/, 'expected 8 lowercase hex digits written DI3 first, as in the standard\'s tables (e.g. "00010000"); DI0 goes first on the wire')
    .describe('Data identifier DI3 DI2 DI1 DI0'),
  format: z
    .string()
    .regex(/^X+(\.X+)?$/, 'expected the standard\'s notation, e.g. XXXXXX.XX (2 digits per byte)')
    .describe('Data format as the standard writes it; the decimals must match the point\'s scale'),
  signed: z.boolean().default(false).describe('Top bit of the highest byte is the sign (currents, powers, power factor)'),
  binary: z.boolean().default(false).describe('A binary word (run status words), not BCD'),
});
export type Dlt645Point = z.infer<typeof dlt645Point>;

/** One RS-485 port of DL/T 645 meters, or a transparent serial server (RS-485 to TCP) in front of one. */
export const dlt645Bus = z
  .strictObject({
    id,
    type: z.literal('dlt645'),
    port: z.string().min(1).optional().describe('Serial device, e.g. /dev/ttyUSB1'),
    host: z.string().min(1).optional().describe('Transparent serial server (RS-485 ↔ TCP) instead of a local port'),
    tcpPort: z.number().int().min(1).max(65535).optional(),
    // Meters usually ship at 2400 8E1 (reference §0 and §2: common practice, not checked against the standard).
    baud: z.number().int().positive().default(2400),
    parity: z.enum(['none', 'even', 'odd']).default('even'),
    dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
    stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
    timeout: duration.prefault('1s').describe('Response timeout per transaction; a 2400-baud reply of ~30 bytes takes ~140 ms on the wire'),
    timeSync: duration
      .optional()
      .describe('Broadcast the gateway time (control 0x08) this often, only while the gateway clock is synced; off when absent'),
    timeZone: z.string().min(1).default('Asia/Shanghai').describe('IANA zone of the time the meters keep (they show local time)'),
  })
  .refine((bus) => (bus.port === undefined) !== (bus.host === undefined), { message: 'give "port" (a serial device) or "host" + "tcpPort" (a serial server), not both' })
  .refine((bus) => bus.host === undefined || bus.tcpPort !== undefined, { message: '"host" needs "tcpPort"', path: ['tcpPort'] });
export type Dlt645Bus = z.infer<typeof dlt645Bus>;

/** The 12-digit meter number on the nameplate (通信地址), as a source's `meter`. */
export const meterAddress = z.string().regex(/^[0-9]{12}$/, 'expected the 12-digit meter address from the nameplate, e.g. "000012345678"');
