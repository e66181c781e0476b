// What one alarm record in the spool holds: the AlarmEvent as JSON plus the monotonic epoch it was
// stamped in, so an event raised before the clock was good can be re-based when it is sent.
import type { AlarmEvent } from '../pipeline/types.js';

export interface AlarmRecord {
  readonly epoch: string;
  readonly event: AlarmEvent;
}

export function encodeAlarmRecord(event: AlarmEvent, epoch: string): Buffer {
  return Buffer.from(JSON.stringify({ epoch, event } satisfies AlarmRecord));
}

export function decodeAlarmRecord(payload: Buffer): AlarmRecord {
  const parsed = JSON.parse(payload.toString('utf8')) as Partial<AlarmRecord>;
  if (typeof parsed.epoch !== 'string' || typeof parsed.event?.eventId !== 'string') {
    throw new Error(`alarm record lacks epoch or event.eventId: ${payload.toString('utf8').slice(0, 80)}`);
  }
  return parsed as AlarmRecord;
}
