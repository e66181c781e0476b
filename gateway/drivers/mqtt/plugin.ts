// The MQTT driver as config sees it: `mqtt: { topic }` on the source and the json path every point needs.
// The topic filter itself (valid, one source per filter) and the local broker are checked in init().
import { z } from 'zod';
import { jsonPath } from '../../../config/profile-atoms.js';
import type { DriverPlugin } from '../plugin.js';
import { mqttDriverOptions } from './options.js';

const sourceFields = {
  mqtt: z.strictObject({ topic: z.string().min(1).describe('Topic the device publishes on') }).optional(),
};

const pointFields = { json: jsonPath };

export const mqttPlugin: DriverPlugin<'mqtt', typeof sourceFields, typeof pointFields> = {
  name: 'mqtt',
  summary: 'devices that publish JSON to the local MQTT broker (access control, smart meters, Zigbee bridges)',
  sourceFields,
  pointFields,
  options: mqttDriverOptions,
  checkSource(check) {
    if (check.source.mqtt === undefined) check.report(check.at(), 'an MQTT source needs "mqtt: { topic }"');
  },
  checkPoint({ yaml, profile, index }) {
    return profile.points[index]!.json === undefined ? [yaml.issue(['points', index], 'an MQTT point needs a "json" field path')] : [];
  },
  load: async () => (await import('./driver.js')).createMqttDriver,
};
