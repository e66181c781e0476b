// Local outputs: actuators (siren, strobe, silence button), the local MQTT broker, the installer console.
import { z } from 'zod';
import { isAbsolute } from 'node:path';
import { isValidAclFilter } from '../../gateway/local-broker/topic-filter.js';
import { alarmLevel, duration, id } from './common.js';

/**
 * A blink pattern: on for `on`, then off for `off`, repeated while the alarm lasts; `off: 0s` is continuous.
 * Defaults by role and level are in gateway/actuators/patterns.ts (siren: fire continuous, alarm 1 s on /
 * 1 s off, fault a 0.2 s chirp every 30 s; strobe: fire 0.1 s / 0.1 s, alarm 0.5 s / 0.5 s, fault 0.2 s / 5 s).
 */
export const blinkPattern = z.strictObject({
  on: duration.describe('Output on for this long'),
  off: duration.default('0s').describe('Then off for this long; "0s" keeps it on (continuous)'),
});

const gpioOutputFields = {
  id,
  type: z.literal('gpio'),
  line: z.number().int().min(0).describe('GPIO line (BCM number); the chip base is looked up, never hard-coded'),
  activeLow: z.boolean().default(false).describe('The relay or driver switches on at a low level'),
  patterns: z.partialRecord(alarmLevel, blinkPattern).default({}).describe('Per-level patterns replacing the defaults'),
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
  debounce: duration.default('30ms').describe('Contact bounce to ignore'),
  longPress: duration.default('2s').describe('Held this long = acknowledge; shorter = silence'),
  silenceFor: duration.default('15m').describe('How long a short press silences'),
});

export const gpioActuator = z.discriminatedUnion('role', [gpioSirenActuator, gpioStrobeActuator, gpioSilenceButton]);

/** Retained JSON per alarm on `<topicPrefix>/<alarmId>` for local displays, zh-CN and en texts. */
export const mqttNoticeActuator = z.strictObject({
  id,
  type: z.literal('mqtt-notice'),
  topicPrefix: z.string().min(1).default('lastmile/notice').describe('Notices go to <topicPrefix>/<alarmId> on the local broker'),
  levels: z.array(alarmLevel).default(['fire', 'alarm', 'fault', 'warning', 'offline']).describe('Alarm levels that get a notice'),
});

/** Home Assistant MQTT discovery: a sensor per measured point and a binary_sensor per alarm rule. */
export const homeAssistantActuator = z.strictObject({
  id,
  type: z.literal('homeassistant'),
  discoveryPrefix: z.string().min(1).default('homeassistant'),
  statePrefix: z.string().min(1).default('lastmile/ha').describe('Where point states, alarm states and availability are published'),
  stateEvery: duration.default('10s').describe('At most one state update per point per this interval'),
});

export const actuator = z.discriminatedUnion('type', [gpioActuator, mqttNoticeActuator, homeAssistantActuator]);

/** Usernames become a topic level through `%u`, so they may not contain `/`, `+`, `#` or `$`. */
const brokerUsername = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'use 1–64 letters, digits, ".", "_" or "-" (it can become a topic level through %u)');

const aclFilter = z
  .string()
  .min(1)
  .refine(isValidAclFilter, 'not a valid MQTT topic filter ("+" and "#" only as whole levels, "#" last, "%u" only as a whole level)');

const absoluteFile = z.string().min(1).refine(isAbsolute, 'use an absolute path, e.g. /etc/lastmile/mqtt/node-1.hash');

export const localBrokerUser = z.strictObject({
  username: brokerUsername.describe('MQTT username of one device (or one display / Home Assistant)'),
  passwordFile: absoluteFile.describe('File holding a scrypt hash made by `lastmile passwd`; never the password itself'),
  publish: z
    .array(aclFilter)
    .default([])
    .describe('Topic filters this user may publish to; "%u" is replaced by the username, e.g. lastmile/dev/%u/#'),
  subscribe: z.array(aclFilter).default([]).describe('Topic filters this user may subscribe to; "%u" is replaced by the username'),
});

export const externalBroker = z.strictObject({
  url: z.string().regex(/^mqtts?:\/\/[^/\s]+/, 'expected mqtt://host:port or mqtts://host:port').describe('The external broker, e.g. mqtt://127.0.0.1:1883'),
  username: z.string().min(1).optional().describe("The gateway's own username on that broker"),
  passwordFile: absoluteFile
    .optional()
    .describe('File holding the gateway\'s password for that broker in clear text (chmod 600); the broker keeps the hash'),
  caFile: absoluteFile.optional().describe('CA certificate (PEM) for mqtts:// when the broker does not use a public CA'),
});

export const localBroker = z
  .strictObject({
    enabled: z.boolean().default(true),
    host: z.string().default('0.0.0.0').describe('Address the embedded broker listens on'),
    port: z.number().int().min(1).max(65535).default(1883).describe('Port the embedded broker listens on'),
    external: externalBroker
      .optional()
      .describe('Use this broker instead of the embedded one; device users and ACLs are then that broker\'s job'),
    users: z
      .array(localBrokerUser)
      .default([])
      .describe('Device users of the embedded broker; no anonymous access and no default user: with none, every device is refused'),
  })
  .superRefine((value, ctx) => {
    if (value.external !== undefined && value.users.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['users'],
        message: 'users apply to the embedded broker only; with "external" set, put them in that broker\'s password and ACL files',
      });
    }
  });

export const console_ = z.strictObject({
  enabled: z.boolean().default(true),
  host: z.string().default('0.0.0.0').describe('The installer reaches it over the LAN; 127.0.0.1 keeps it on the box (ssh -L)'),
  port: z.number().int().min(1).max(65535).default(8080),
  passwordFile: z.string().min(1).optional().describe('scrypt hash for the installer login; the console stays off without one'),
  tls: z
    .strictObject({ certFile: absoluteFile.describe('PEM certificate chain'), keyFile: absoluteFile.describe('PEM private key (mode 0600)') })
    .optional()
    .describe('Serve the console over HTTPS with a Secure cookie (docs/security.md: making the certificate)'),
  sessionTimeout: duration.default('8h'),
});

export const metrics = z.strictObject({
  host: z.string().default('127.0.0.1').describe('Loopback by default: Prometheus or node_exporter on the box scrapes it; 0.0.0.0 opens it to the LAN (no login)'),
  port: z.number().int().min(1).max(65535).default(9464).describe('/metrics (Prometheus text), /healthz (alive, pollers turning) and /readyz (started)'),
});
