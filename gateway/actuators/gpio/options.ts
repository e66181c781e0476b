// The gpio actuator as config sees it: a siren, a strobe or the silence button on a GPIO line (BCM number),
// one `actuators:` entry with `type: gpio` and a `role`.
import { z } from 'zod';
import { alarmLevel, duration, id } from '../../../config/sections/common.js';
import { gpioLine } from '../../drivers/gpio/plugin.js';
import type { ConfigCheck } from '../../drivers/plugin.js';

/**
 * A blink pattern: on for `on`, then off for `off`, repeated while the alarm lasts; `off: 0s` is continuous.
 * Defaults by role and level are in ./patterns.ts (siren: fire continuous, alarm 1 s on /
 * 1 s off, fault a 0.2 s chirp every 30 s; strobe: fire 0.1 s / 0.1 s, alarm 0.5 s / 0.5 s, fault 0.2 s / 5 s).
 */
export const blinkPattern = z.strictObject({
  on: duration.describe('Output on for this long'),
  off: duration.prefault('0s').describe('Then off for this long; "0s" keeps it on (continuous)'),
});

const gpioOutputFields = {
  id,
  type: z.literal('gpio'),
  line: z.number().int().min(0).describe('GPIO line (BCM number); the chip base is looked up, never hard-coded'),
  activeLow: z.boolean().default(false).describe('The relay or driver switches on at a low level'),
  patterns: z.partialRecord(alarmLevel, blinkPattern).prefault({}).describe('Per-level patterns replacing the defaults'),
};

/** A siren (sounder): sounds for raised alarms that are not acknowledged or silenced. */
export const gpioSirenActuator = z.strictObject({
  ...gpioOutputFields,
  role: z.literal('siren'),
  levels: z.array(alarmLevel).default(['fire', 'alarm']).describe('Alarm levels that sound this siren'),
});

/** A strobe (beacon): shows every alarm that is not cleared, even when silenced or acknowledged. */
export const gpioStrobeActuator = z.strictObject({
  ...gpioOutputFields,
  role: z.literal('strobe'),
  levels: z.array(alarmLevel).default(['fire', 'alarm', 'fault']).describe('Alarm levels that flash this strobe'),
});

/** A local push button: short press silences every sounding alarm, long press acknowledges them. */
export const gpioSilenceButton = z.strictObject({
  id,
  type: z.literal('gpio'),
  role: z.literal('silence_button'),
  line: z.number().int().min(0).describe('GPIO line (BCM number) of the button input'),
  activeLow: z.boolean().default(true).describe('Pressed reads 0 (button to ground with a pull-up, the usual wiring)'),
  debounce: duration.prefault('30ms').describe('Contact bounce to ignore'),
  longPress: duration.prefault('2s').describe('Held this long = acknowledge; shorter = silence'),
  silenceFor: duration.prefault('15m').describe('How long a short press silences'),
});

/** The `type: gpio` entry of `actuators:`, one of three roles. */
export const schema = z.discriminatedUnion('role', [gpioSirenActuator, gpioStrobeActuator, gpioSilenceButton]);
export type GpioActuatorConfig = z.infer<typeof schema>;

export const summary = 'Sirens, strobes and the silence/acknowledge button on GPIO lines';

/** The load-time check (config/load-site.ts): one user per GPIO line, actuators and GPIO sources together. */
export function checkActuator(config: GpioActuatorConfig, check: ConfigCheck): void {
  const owner = check.claim(gpioLine(config.line), `actuator ${config.id}`);
  if (owner !== undefined) check.report(check.at('line'), `GPIO line ${config.line} is already used by ${owner}`);
}
