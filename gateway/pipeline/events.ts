// The gateway's event map: every stage talks through these events only.
import type { RuleCondition } from '../rules/condition.js';
import type { AlarmEvent, GatewayCommand, Measurement, PointFault, Reading, SourceStatus } from './types.js';

/** No index signature: an event name not listed here does not compile (tests/gateway/pipeline/event-bus.test.ts checks it). */
export interface GatewayEvents {
  /** A driver got an answer (or a push) from a source. */
  reading: Reading;
  /** The profile decoded a reading's point into a value. */
  measurement: Measurement;
  /** The profile recognised a fault sentinel or fault bit instead of a value. */
  fault: PointFault;
  /** A source went online or offline (driver back-off decided it). */
  'source.status': SourceStatus;
  /** An alarm changed state; goes to actuators and to the spool's alarm lane. */
  alarm: AlarmEvent;
  /** A rule's condition became active or inactive (rules → alarm engine). */
  'rule.condition': RuleCondition;
  /** A command from the township, the console or a local button (ack, silence, reset, test). */
  command: GatewayCommand;
}
