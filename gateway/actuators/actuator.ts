// The actuator contract: one `actuators:` entry running. Each kind's folder (gateway/actuators/<type>/)
// exports a factory from actuator.ts; the stage (./stage.ts) builds them through ./registry.ts, keeps the
// AlarmBoard and hands every alarm event to every actuator, in config order.
import type { AlarmView } from '../alarms/alarm.js';
import type { AlarmBoard } from '../alarms/board.js';
import type { GpioPort } from '../drivers/gpio/port.js';
import type { LocalBroker } from '../local-broker/local-broker.js';
import type { AlarmEvent, Measurement, SourceStatus } from '../pipeline/types.js';
import type { RuntimeContext } from '../pipeline/stage.js';
import type { Logger } from '../../contract/logger.js';

export interface ActuatorContext {
  readonly runtime: RuntimeContext;
  /** The current alarm set, kept by the stage; read it, never apply events to it. */
  readonly board: AlarmBoard;
  /** Scoped as actuators:<type>:<id>. */
  readonly log: Logger;
  /** The runtime's shared GPIO port (the one the GPIO driver uses); rejects when there is none. */
  gpioPort(): Promise<GpioPort>;
  /** The local broker, or undefined when the site has none. */
  localBroker(): LocalBroker | undefined;
}

export interface Actuator {
  /** An alarm event, after the board applied it: `view` is that alarm now, `current` the whole set. */
  onAlarm?(event: AlarmEvent, view: AlarmView, current: readonly AlarmView[], now: number): void;
  /** Every decoded measurement; only actuators that implement it make the stage listen. */
  onMeasurement?(measurement: Measurement): void;
  /** Every source going online or offline. */
  onSourceStatus?(status: SourceStatus): void;
  /** Releases lines and connections; resolves when nothing of it is left running. */
  stop(): Promise<void>;
}

/** Starts one actuator of a kind from its validated config entry; throws naming `actuators.<id>`. */
export type ActuatorFactory<Config> = (config: Config, context: ActuatorContext) => Promise<Actuator>;
