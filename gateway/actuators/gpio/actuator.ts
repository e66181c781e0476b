// A gpio actuator running: a siren or strobe output following the alarm set, or the silence button input.
import type { ActuatorFactory } from '../actuator.js';
import { GpioAlarmOutput } from './gpio-output.js';
import type { GpioActuatorConfig } from './options.js';
import { SilenceButton } from './silence-button.js';

export const startGpioActuator: ActuatorFactory<GpioActuatorConfig> = async (config, context) => {
  const { runtime, board, log } = context;
  const { events, stats } = runtime;
  let port;
  try {
    port = await context.gpioPort();
  } catch (error) {
    throw new Error(`actuators.${config.id}: no GPIO port: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (config.role === 'silence_button') {
    const button = new SilenceButton(config, board, (command) => events.emit('command', command));
    const input = await port.input(config.line, {
      edge: 'both',
      debounceMs: config.debounce,
      onError: (error) => {
        stats.inc('actuator.input_error', { actuator: config.id });
        log.error({ line: config.line, err: error }, 'silence button input failed');
      },
    });
    button.attach(input);
    return {
      async stop() {
        button.stop();
        await input.close();
      },
    };
  }
  const output = new GpioAlarmOutput(config, await port.output(config.line, { initial: config.activeLow ? 1 : 0 }), (error) => {
    stats.inc('actuator.write_error', { actuator: config.id });
    log.error({ line: config.line, err: error }, 'GPIO write failed');
  });
  return {
    onAlarm: (_event, _view, current) => output.update(current),
    stop: () => output.stop(),
  };
};
