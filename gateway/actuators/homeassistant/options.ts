// The homeassistant actuator as config sees it: Home Assistant MQTT discovery on the local broker.
import { z } from 'zod';
import { duration, id } from '../../../config/sections/common.js';

/** Home Assistant MQTT discovery: a sensor per measured point and a binary_sensor per alarm rule. */
export const schema = z.strictObject({
  id,
  type: z.literal('homeassistant'),
  discoveryPrefix: z.string().min(1).default('homeassistant'),
  statePrefix: z.string().min(1).default('lastmile/ha').describe('Where point states, alarm states and availability are published'),
  stateEvery: duration.prefault('10s').describe('At most one state update per point per this interval'),
});
export type HomeAssistantConfig = z.infer<typeof schema>;

export const summary = 'Home Assistant MQTT discovery: a sensor per measured point, a binary_sensor per alarm rule';
