// Local outputs: actuators (siren, strobe, silence button), the local MQTT broker, the installer console.
import { z } from 'zod';
import { alarmLevel, duration, id } from './common.js';

export const gpioActuator = z.strictObject({
  id,
  type: z.literal('gpio'),
  role: z.enum(['siren', 'strobe', 'silence_button']),
  line: z.number().int().min(0).describe('GPIO line (BCM number); the chip base is looked up, never hard-coded'),
  activeLow: z.boolean().default(false),
  levels: z.array(alarmLevel).default(['fire', 'alarm']).describe('Alarm levels that drive this output'),
});

export const mqttNoticeActuator = z.strictObject({
  id,
  type: z.literal('mqtt-notice'),
  topicPrefix: z.string().min(1).default('lastmile/notice'),
});

export const homeAssistantActuator = z.strictObject({
  id,
  type: z.literal('homeassistant'),
  discoveryPrefix: z.string().min(1).default('homeassistant'),
});

export const actuator = z.discriminatedUnion('type', [gpioActuator, mqttNoticeActuator, homeAssistantActuator]);

export const localBrokerUser = z.strictObject({
  username: z.string().min(1),
  passwordFile: z.string().min(1).describe('File holding a scrypt hash made by `lastmile passwd`; never the password itself'),
  publish: z.array(z.string().min(1)).default([]).describe('Topic filters this user may publish to'),
  subscribe: z.array(z.string().min(1)).default([]).describe('Topic filters this user may subscribe to'),
});

export const localBroker = z.strictObject({
  enabled: z.boolean().default(true),
  host: z.string().default('0.0.0.0'),
  port: z.number().int().min(1).max(65535).default(1883),
  external: z.string().url().optional().describe('Use this broker instead of the embedded one, e.g. mqtt://127.0.0.1:1883'),
  users: z.array(localBrokerUser).default([]),
});

export const console_ = z.strictObject({
  enabled: z.boolean().default(true),
  host: z.string().default('0.0.0.0'),
  port: z.number().int().min(1).max(65535).default(8080),
  passwordFile: z.string().min(1).optional().describe('scrypt hash for the installer login; the console stays off without one'),
  sessionTimeout: duration.default('8h'),
});
