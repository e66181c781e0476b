// Local outputs: actuators (siren, strobe, silence button), the local MQTT broker, the installer console.
import { z } from 'zod';
import { ACTUATOR_SCHEMAS } from '../../gateway/actuators/kinds.js';
import { isValidAclFilter } from '../../gateway/local-broker/topic-filter.js';
import { absolutePath, duration } from './common.js';
import { listenerTls } from '../../contract/listener-tls.js';

/** One `actuators:` entry; each `type:` is a folder under gateway/actuators/ (listed in gateway/actuators/kinds.ts). */
export const actuator = z.discriminatedUnion('type', ACTUATOR_SCHEMAS);

/** Usernames become a topic level through `%u`, so they may not contain `/`, `+`, `#` or `$`. */
const brokerUsername = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'use 1–64 letters, digits, ".", "_" or "-" (it can become a topic level through %u)');

const aclFilter = z
  .string()
  .min(1)
  .refine(isValidAclFilter, 'not a valid MQTT topic filter ("+" and "#" only as whole levels, "#" last, "%u" only as a whole level)');

const absoluteFile = absolutePath('/etc/lastmile/mqtt/node-1.hash');

export const localBrokerUser = z.strictObject({
  username: brokerUsername.describe('MQTT username of one device (or one display / Home Assistant)'),
  passwordFile: absoluteFile.describe('File holding a scrypt hash made by `lastmile passwd`; never the password itself'),
  publish: z
    .array(aclFilter)
    .prefault([])
    .describe('Topic filters this user may publish to; "%u" is replaced by the username, e.g. lastmile/dev/%u/#'),
  subscribe: z.array(aclFilter).prefault([]).describe('Topic filters this user may subscribe to; "%u" is replaced by the username'),
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
    port: z.number().int().min(1).max(65535).default(1883).describe('Port the embedded broker listens on (8883 is usual with tls)'),
    tls: listenerTls
      .optional()
      .describe('Devices connect with MQTT over TLS (mqtts://) on port: their passwords do not cross the LAN in clear text. Without it, plain MQTT (devices that cannot do TLS)'),
    external: externalBroker
      .optional()
      .describe('Use this broker instead of the embedded one; device users and ACLs are then that broker\'s job'),
    users: z
      .array(localBrokerUser)
      .prefault([])
      .describe('Device users of the embedded broker; no anonymous access and no default user: with none, every device is refused'),
  })
  .superRefine((value, ctx) => {
    if (value.external !== undefined && value.tls !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['tls'], message: 'tls applies to the embedded broker only; with "external" set, configure TLS on that broker' });
    }
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
  tls: listenerTls.optional().describe('Serve the console over HTTPS with a Secure cookie and HSTS (docs/security.md: making the certificate)'),
  sessionTimeout: duration.prefault('8h'),
});

export const metrics = z.strictObject({
  host: z.string().default('127.0.0.1').describe('Loopback by default: Prometheus or node_exporter on the box scrapes it; 0.0.0.0 opens it to the LAN (no login)'),
  port: z.number().int().min(1).max(65535).default(9464).describe('/metrics (Prometheus text), /healthz (alive, pollers turning) and /readyz (started)'),
});
