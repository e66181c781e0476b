// The actuators stage: GPIO sirens and strobes, the silence/ack button, local MQTT notices and Home
// Assistant discovery, built from `actuators:` in the site config through the registry (each `type:` is a
// folder here). It listens to 'alarm' events only (never to the alarm engine), keeping its own AlarmBoard
// of the current set. Starts before the alarm engine (sink-first), so the first alarm after start-up
// already drives the siren.
import { AlarmBoard } from '../alarms/board.js';
import type { RuntimeContext, Stage, StageFactory } from '../pipeline/stage.js';
import { scope, type Logger } from '../../contract/logger.js';
import type { Actuator, ActuatorContext } from './actuator.js';
import { startActuator } from './registry.js';

export class ActuatorsStage implements Stage {
  readonly name = 'actuators';
  readonly board = new AlarmBoard();
  /** The running actuators, in config order. */
  readonly actuators: Actuator[] = [];
  private readonly unsubscribe: (() => void)[] = [];
  private readonly log: Logger;

  constructor(private readonly context: RuntimeContext) {
    this.log = scope(context.log, 'actuators');
  }

  async start(): Promise<void> {
    const { site, events } = this.context;
    for (const config of site.actuators) {
      const context: ActuatorContext = {
        runtime: this.context,
        board: this.board,
        log: scope(this.log, config.type, config.id),
        // The runtime's shared port (onoff on a Pi, the memory port in the demo and tests), as the GPIO driver uses.
        gpioPort: () => this.context.services.gpioPort(),
        localBroker: () => this.context.services.get('localBroker'),
      };
      this.actuators.push(await startActuator(config, context));
    }
    this.unsubscribe.push(
      events.on('alarm', (event) => {
        const view = this.board.apply(event);
        const current = this.board.list();
        const now = this.context.clock.now();
        for (const actuator of this.actuators) actuator.onAlarm?.(event, view, current, now);
      }),
    );
    const measured = this.actuators.filter((a) => a.onMeasurement !== undefined || a.onSourceStatus !== undefined);
    if (measured.length > 0) {
      this.unsubscribe.push(
        events.on('measurement', (m) => measured.forEach((a) => a.onMeasurement?.(m))),
        events.on('source.status', (status) => measured.forEach((a) => a.onSourceStatus?.(status))),
      );
    }
  }

  async stop(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    await Promise.all(this.actuators.splice(0).map((actuator) => actuator.stop()));
  }
}

export const actuatorsStage: StageFactory = (context) => (context.site.actuators.length === 0 ? undefined : new ActuatorsStage(context));
