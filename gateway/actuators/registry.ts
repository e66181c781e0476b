// Actuator registry: the `type:` of an `actuators:` entry names the folder. One line per actuator kind
// (STYLE.md habit 1); the schemas are listed in ./kinds.ts, which config/ imports without this runtime code.
import type { SiteConfig } from '../../config/site.js';
import type { Actuator, ActuatorContext, ActuatorFactory } from './actuator.js';
import { startGpioActuator } from './gpio/actuator.js';
import { startHomeAssistant } from './homeassistant/actuator.js';
import { startMqttNotice } from './mqtt-notice/actuator.js';

type ActuatorConfig = SiteConfig['actuators'][number];
type Factories = { [K in ActuatorConfig['type']]: ActuatorFactory<Extract<ActuatorConfig, { type: K }>> };

export const ACTUATOR_KINDS: Factories = {
  gpio: startGpioActuator,
  'mqtt-notice': startMqttNotice,
  homeassistant: startHomeAssistant,
};

export const REGISTERED_ACTUATOR_KINDS = Object.keys(ACTUATOR_KINDS) as ActuatorConfig['type'][];

export function startActuator(config: ActuatorConfig, context: ActuatorContext): Promise<Actuator> {
  const factory = ACTUATOR_KINDS[config.type] as ActuatorFactory<ActuatorConfig>;
  return factory(config, context);
}
