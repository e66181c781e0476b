// The gateway under test: a site config with two MQTT sources on the embedded local broker (the sequence
// sensor and the alarm switch, profiles in bench/delivery/profiles), the uplink to the township, and the
// spool on the small tmpfs. Device passwords are hashed with the gateway's own scrypt code, the format
// `lastmile passwd` writes.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { uplink as uplinkSchema } from '../../config/sections/uplink.js';
import { hashPassword } from '../../contract/password-hash.js';
import { COMPOUND, TOWNSHIP } from './township.js';

export const SEQ_USER = 'seq-sensor';
export const ALARM_USER = 'alarm-sw';
export const SEQ_SOURCE = 'seq';
export const ALARM_SOURCE = 'alarm-sw';
export const SEQ_TOPIC = `lastmile/dev/${SEQ_USER}/seq`;
export const ALARM_TOPIC = `lastmile/dev/${ALARM_USER}/state`;
/** VictoriaMetrics names an InfluxDB field <measurement>_<field>: the profile's class and point. */
export const SEQ_METRIC = 'temperature_seq';
/**
 * The uplink's receipt timeout (its default, from the schema, written into the site): a batch whose
 * receipt never comes (a worker SIGKILLed with it in hand, a broker killed with it queued) is published
 * again only after this long, so the drain must wait longer than it before it calls anything lost (options.ts).
 */
export const RECEIPT_TIMEOUT_S = uplinkSchema.parse({ url: 'mqtt://127.0.0.1' }).receiptTimeout / 1000;

export interface GatewaySite {
  readonly file: string;
  readonly localPort: number;
  readonly devicePassword: string;
  /** The spool section as written, for the report. */
  readonly spool: Record<string, string>;
}

export async function writeGatewaySite(options: { dir: string; gateway: string; localPort: number; uplinkPort: number; uplinkPassword: string; spoolDir: string }): Promise<GatewaySite> {
  const { dir, gateway } = options;
  const devicePassword = 'bench-device-password';
  const hash = await hashPassword(devicePassword);
  const users = [SEQ_USER, ALARM_USER].map((username) => {
    const passwordFile = join(dir, `${username}.hash`);
    writeFileSync(passwordFile, `${hash}\n`, { mode: 0o600 });
    return { username, passwordFile, publish: ['lastmile/dev/%u/#'] };
  });
  const uplinkPasswordFile = join(dir, 'uplink.password');
  writeFileSync(uplinkPasswordFile, `${options.uplinkPassword}\n`, { mode: 0o600 });
  const spool = { dir: options.spoolDir, maxBytes: '64MB', maxAge: '1d', syncEvery: '200ms', segmentBytes: '1MB' };
  const site = {
    version: 1,
    gateway: { township: TOWNSHIP, compound: COMPOUND, id: gateway, profilesDir: join(import.meta.dirname, 'profiles') },
    sources: [
      { id: SEQ_SOURCE, profile: 'bench/seq-counter', mqtt: { topic: SEQ_TOPIC }, tags: { building: '1' } },
      { id: ALARM_SOURCE, profile: 'bench/alarm-switch', mqtt: { topic: ALARM_TOPIC }, tags: { building: '1' } },
    ],
    localBroker: { host: '127.0.0.1', port: options.localPort, users },
    uplink: { url: `mqtt://127.0.0.1:${options.uplinkPort}`, passwordFile: uplinkPasswordFile, keepalive: '15s', batchMaxAge: '500ms', reconnectMin: '200ms', reconnectMax: '2s', statusEvery: '10s', receiptTimeout: `${RECEIPT_TIMEOUT_S}s` },
    spool,
  };
  const file = join(dir, 'site.yaml');
  writeFileSync(file, JSON.stringify(site, null, 2) + '\n'); // JSON is YAML
  return { file, localPort: options.localPort, devicePassword, spool };
}
