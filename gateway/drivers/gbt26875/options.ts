// Link timing of the gbt26875 driver. The standard (§6.5 of GB/T 26875.3, "重发机制") says timeouts
// "不宜大于10s" and 3 retransmissions; devices send an empty heartbeat every 20–30 s. The site config does
// not expose these (the source block has the device-facing settings), so they are code defaults that
// tests and the demo may shorten through gbt26875DriverWith().
import { z } from 'zod';
import { duration } from '../../../config/sections/common.js';

export const gbt26875DriverOptions = z.strictObject({
  ackTimeout: duration.prefault('5s').describe('Wait for the confirm (or response) to a gateway command before retransmitting; the standard: at most 10 s'),
  maxRetries: z.number().int().min(0).max(10).default(3).describe('Retransmissions before a command is given up (the standard: 3)'),
  partialFrameTimeout: duration.prefault('2s').describe('A packet not complete this long after its "@@" is discarded one byte at a time and rescanned'),
  idleTimeout: duration.prefault('90s').describe('No bytes for this long (three missed 30 s heartbeats): the connection is dead, closed, the source offline'),
  relistenDelay: duration.prefault('5s').describe('Wait before binding the listener again after it failed (port in use, address not up yet)'),
});
export type Gbt26875DriverOptionsInput = z.input<typeof gbt26875DriverOptions>;

export interface Gbt26875Timing {
  readonly ackTimeoutMs: number;
  readonly maxRetries: number;
  readonly partialFrameTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly relistenDelayMs: number;
}

export function gbt26875Timing(input: Gbt26875DriverOptionsInput = {}): Gbt26875Timing {
  const o = gbt26875DriverOptions.parse(input);
  return {
    ackTimeoutMs: o.ackTimeout,
    maxRetries: o.maxRetries,
    partialFrameTimeoutMs: o.partialFrameTimeout,
    idleTimeoutMs: o.idleTimeout,
    relistenDelayMs: o.relistenDelay,
  };
}
