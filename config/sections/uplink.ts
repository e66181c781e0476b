// Uplink to the township broker, and the spool that keeps data through outages.
import { z } from 'zod';
import { duration, size } from './common.js';

export const uplink = z.strictObject({
  url: z.string().regex(/^(mqtts?|wss?):\/\//, 'expected mqtts://host:8883 (mqtt:// only on loopback or a test bench)'),
  clientId: z.string().min(1).optional().describe('Defaults to the gateway id'),
  username: z.string().min(1).optional().describe('Defaults to the gateway id'),
  passwordFile: z.string().min(1).optional().describe('File with the per-gateway password issued by `lastmile-ingest provision`'),
  ca: z.string().min(1).optional().describe('PEM file of the township CA'),
  cert: z.string().min(1).optional(),
  key: z.string().min(1).optional(),
  keepalive: duration.prefault('60s'),
  batchMaxMeasurements: z.number().int().min(1).max(100_000).default(5000),
  batchMaxAge: duration.prefault('5s').describe('Telemetry waits at most this long for a batch to fill'),
  reconnectMin: duration.prefault('1s'),
  reconnectMax: duration.prefault('2m'),
  maxInflight: z.number().int().min(1).max(100).default(4).describe('Messages per spool lane published and not yet receipted by the township at once; the rest waits in the spool'),
  receiptTimeout: duration.prefault('30s').describe('A message with no receipt after this long is published again (same id); doubles while none come'),
  statusEvery: duration.prefault('60s').describe('How often the retained status is republished'),
})
  .refine((u) => u.passwordFile !== undefined || isLoopback(u.url), {
    message: 'passwordFile is required unless the broker is on loopback (no default passwords)',
    path: ['passwordFile'],
  })
  // Issue 13 item 14: a password over plain mqtt:// or ws:// to another host crosses the network readable.
  .refine((u) => u.passwordFile === undefined || isLoopback(u.url) || /^(mqtts|wss):\/\//.test(u.url), {
    message: 'a password over plain mqtt:// (or ws://) to a host that is not loopback would cross the network in clear text: use mqtts://host:8883',
    path: ['url'],
  });

function isLoopback(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === 'localhost' || host === '127.0.0.1' || host === '[::1]';
  } catch {
    return false;
  }
}

export const spool = z.strictObject({
  dir: z.string().min(1).default('/var/lib/lastmile/spool'),
  maxBytes: size.prefault('256MB').describe('When full, the oldest telemetry is dropped and counted; alarm events never'),
  maxAge: duration.prefault('30d'),
  syncEvery: duration.prefault('200ms').describe('Batched fsync interval: the acknowledgment waits for it'),
  segmentBytes: size.prefault('4MB'),
});
