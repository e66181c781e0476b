// Link timing for the serial-node driver. Defaults follow firmware-bridge/PROTOCOL.md §5–§7; the site
// config does not expose them yet (the serial-node bus schema has port and baud only), so they are
// code defaults that tests and the demo may shorten.
import { z } from 'zod';
import { duration } from '../../../config/sections/common.js';
import { MAX_FRAME } from '../../../firmware-bridge/protocol/frame.js';

export const serialDriverOptions = z.strictObject({
  ackTimeout: duration.prefault('300ms').describe('Wait for ACK before retransmitting (gateway → node requests)'),
  maxRetries: z.number().int().min(0).max(10).default(3).describe('Retransmits before a request is given up'),
  silentAfterBeats: z.number().int().min(2).max(10).default(3).describe('Missed heartbeat intervals before a node is offline'),
  minHeartbeat: duration.prefault('100ms').describe('Shortest heartbeat interval the gateway agrees to'),
  partialFrameTimeout: duration
    .optional()
    .describe('A frame not complete this long after its start marker is discarded and rescanned; default max(50 ms, twice a 248-byte frame at the bus baud)'),
  reopenDelay: duration.prefault('2s').describe('Wait before reopening a serial port that failed or closed'),
});
export type SerialDriverOptionsInput = z.input<typeof serialDriverOptions>;

/** The options in milliseconds, as the link wants them. */
export interface SerialLinkTiming {
  readonly ackTimeoutMs: number;
  readonly maxRetries: number;
  readonly silentAfterBeats: number;
  readonly minHeartbeatMs: number;
  /** Undefined: derived from the bus baud (partialFrameTimeoutFor). */
  readonly partialFrameTimeoutMs: number | undefined;
  readonly reopenDelayMs: number;
}

export function serialLinkTiming(input: SerialDriverOptionsInput = {}): SerialLinkTiming {
  const o = serialDriverOptions.parse(input);
  return {
    ackTimeoutMs: o.ackTimeout,
    maxRetries: o.maxRetries,
    silentAfterBeats: o.silentAfterBeats,
    minHeartbeatMs: o.minHeartbeat,
    partialFrameTimeoutMs: o.partialFrameTimeout === undefined ? undefined : o.partialFrameTimeout,
    reopenDelayMs: o.reopenDelay,
  };
}

/** Twice the time a maximum frame (248 bytes, 10 bits each) takes at the baud, and never under 50 ms. */
export function partialFrameTimeoutFor(baud: number): number {
  return Math.max(50, Math.ceil(((2 * MAX_FRAME * 10) / baud) * 1000));
}
