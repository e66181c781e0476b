// Options of the Modbus driver. Everything an installer sets lives on the bus (config/sections/buses.ts:
// port, serial settings or host, timeout), on the source (unit, poll) and in the profile (`modbus:` read
// limits); what is here is the offline and back-off policy of bus-poller.ts (README.md "Retry, back-off,
// offline"), a code default the site config does not expose.
import { z } from 'zod';

export const modbusDriverOptions = z.strictObject({
  offlineAfterFailures: z.number().int().min(1).default(3).describe('Consecutive failed polls before a source is declared offline'),
  maxBackoffMs: z.number().int().min(1).default(60_000).describe('Longest back-off between attempts at an offline source'),
  alarmRetryMs: z
    .number()
    .int()
    .min(1)
    .default(5_000)
    .describe('Alarm-class sources are retried at least this often (or every poll, if slower) however long they fail'),
});
export type ModbusDriverOptions = z.infer<typeof modbusDriverOptions>;

export const DEFAULT_MODBUS_DRIVER_OPTIONS: ModbusDriverOptions = modbusDriverOptions.parse({});
