// The actuator kinds as config sees them: one line per actuator folder (STYLE.md habit 1); the `type:` of
// an `actuators:` entry is the folder name. config/sections/outputs.ts builds the actuator union from these
// schemas; ./registry.ts has the runtime side; tests/gateway/structure.test.ts keeps both equal to the folders.
import * as gpio from './gpio/options.js';
import * as homeassistant from './homeassistant/options.js';
import * as mqttNotice from './mqtt-notice/options.js';

/** Each kind's options module: `schema` and `summary`. */
export const ACTUATOR_OPTIONS = [gpio, mqttNotice, homeassistant] as const;

type Options = typeof ACTUATOR_OPTIONS;
type Schemas<T extends readonly { schema: unknown }[]> = { -readonly [K in keyof T]: T[K]['schema'] };

/** The schemas in registry order, as a tuple for z.discriminatedUnion. */
export const ACTUATOR_SCHEMAS = ACTUATOR_OPTIONS.map((kind) => kind.schema) as Schemas<Options>;
