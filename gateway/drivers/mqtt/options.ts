// Options of the MQTT driver. The site config has no per-driver section, so these are the defaults the
// gateway runs with; tests and embedders may pass other values to createMqttDriverWith().
import { z } from 'zod';

export const mqttDriverOptions = z.strictObject({
  maxPayloadBytes: z
    .number()
    .int()
    .positive()
    .default(64 * 1024)
    .describe('Payloads larger than this are counted as malformed (too_large) and not parsed; device JSON is a few hundred bytes'),
  qos: z
    .union([z.literal(0), z.literal(1)])
    .default(1)
    .describe('QoS of the gateway subscriptions; 1 so an alarm event published with QoS 1 is not lost between broker and gateway'),
  ignoreRetained: z
    .boolean()
    .default(true)
    .describe('Drop retained messages replayed on subscribe: they are old (a retained "door forced" would raise again on every restart)'),
});

export type MqttDriverOptions = z.infer<typeof mqttDriverOptions>;

export const DEFAULT_MQTT_DRIVER_OPTIONS: MqttDriverOptions = mqttDriverOptions.parse({});
