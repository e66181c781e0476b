// The actuator kinds as config sees them: one line per actuator folder (STYLE.md habit 1); the `type:` of
// an `actuators:` entry is the folder name. config/sections/outputs.ts builds the actuator union from these
// schemas; ./registry.ts has the runtime side; tests/gateway/structure.test.ts keeps both equal to the folders.
import type { z } from 'zod';
import type { ConfigCheck } from '../drivers/plugin.js';
import * as gpio from './gpio/options.js';
import * as homeassistant from './homeassistant/options.js';
import * as mqttNotice from './mqtt-notice/options.js';

/** Each kind's options module: `schema` and `summary`. */
export const ACTUATOR_OPTIONS = [gpio, mqttNotice, homeassistant] as const;

type Options = typeof ACTUATOR_OPTIONS;
type Schemas<T extends readonly { schema: unknown }[]> = { -readonly [K in keyof T]: T[K]['schema'] };

/** The schemas in registry order, as a tuple for z.discriminatedUnion. */
export const ACTUATOR_SCHEMAS = ACTUATOR_OPTIONS.map((kind) => kind.schema) as Schemas<Options>;

type ActuatorConfig = z.infer<Options[number]['schema']>;
type Checks = { [K in ActuatorConfig['type']]?: (config: Extract<ActuatorConfig, { type: K }>, check: ConfigCheck) => void };

/** The load-time cross-checks of the kinds that have one (an options module's `checkActuator`). */
const CHECKS: Checks = Object.fromEntries(
  ACTUATOR_OPTIONS.flatMap((kind) => ('checkActuator' in kind ? [[typeOf(kind.schema), kind.checkActuator]] : [])),
) as Checks;

/** Runs the cross-check of an actuator's kind, if it has one. */
export function checkActuator(config: ActuatorConfig, check: ConfigCheck): void {
  (CHECKS[config.type] as ((config: ActuatorConfig, check: ConfigCheck) => void) | undefined)?.(config, check);
}

/** The `type:` a kind's schema accepts (gpio's is a union by role, all with type gpio). */
function typeOf(schema: object): string {
  return 'shape' in schema ? (schema as { shape: { type: { value: string } } }).shape.type.value : typeOf((schema as { options: readonly object[] }).options[0]!);
}
