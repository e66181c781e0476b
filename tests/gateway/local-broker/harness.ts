// Shared by the local-broker and MQTT-driver tests: a real gateway runtime from a YAML site config,
// device users with real scrypt hash files, real mqtt.js device clients, and a log that tests can read.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { parseSiteConfig } from '../../../config/load-site.js';
import { hashPassword } from '../../../contract/password-hash.js';
import type { Measurement, SourceStatus } from '../../../gateway/pipeline/types.js';
import { GatewayRuntime } from '../../../gateway/runtime.js';
import type { Logger } from '../../../contract/logger.js';

/** The one bounded wait (tests/helpers/wait.ts), for the tests built on this harness. */
export { waitFor } from '../../helpers/wait.js';

/** Cheaper than the production cost so a test file hashes a handful of passwords in milliseconds. */
export const TEST_SCRYPT = { N: 1024, r: 8, p: 1 };

export interface TestUser {
  readonly username: string;
  readonly password: string;
  readonly publish?: readonly string[];
  readonly subscribe?: readonly string[];
}

/** Writes one hash file per user and returns the `users:` YAML block entries. */
export async function writeUsers(dir: string, users: readonly TestUser[]): Promise<string> {
  const lines: string[] = [];
  for (const user of users) {
    const file = join(dir, `${user.username}.hash`);
    writeFileSync(file, `${await hashPassword(user.password, TEST_SCRYPT)}\n`, { mode: 0o600 });
    lines.push(
      `    - username: ${user.username}`,
      `      passwordFile: ${file}`,
      `      publish: ${JSON.stringify(user.publish ?? [])}`,
      `      subscribe: ${JSON.stringify(user.subscribe ?? [])}`,
    );
  }
  return lines.join('\n');
}

/** A pino logger whose JSON lines the test can search. */
export function capturedLogger(): { log: Logger; lines: () => Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { log: pino({ level: 'debug' }, stream), lines: () => lines };
}

export interface TestGateway {
  readonly runtime: GatewayRuntime;
  readonly measurements: Measurement[];
  readonly statuses: SourceStatus[];
  readonly logLines: () => Record<string, unknown>[];
  stop(): Promise<void>;
}

/** Starts a real GatewayRuntime (local-broker stage, decoder, drivers) from site YAML. */
export async function startGateway(dir: string, yaml: string, options: { start?: boolean } = {}): Promise<TestGateway> {
  const file = join(dir, 'site.yaml');
  // The spool always runs (with or without an uplink): a site that names none gets one in the test dir.
  const text = /^spool:/m.test(yaml) ? yaml : `${yaml.trimEnd()}\nspool: { dir: ${join(dir, 'spool')} }\n`;
  writeFileSync(file, text);
  const loaded = parseSiteConfig(file, text);
  const { log, lines } = capturedLogger();
  const runtime = new GatewayRuntime(loaded, { log });
  const measurements: Measurement[] = [];
  const statuses: SourceStatus[] = [];
  runtime.context.events.on('measurement', (m) => measurements.push(m));
  runtime.context.events.on('source.status', (s) => statuses.push(s));
  if (options.start ?? true) await runtime.start();
  return { runtime, measurements, statuses, logLines: lines, stop: () => runtime.stop() };
}

/** A device: a real mqtt.js client over TCP; no automatic reconnect unless asked. */
export async function connectDevice(port: number, username: string | undefined, password: string | undefined, options: Partial<IClientOptions> = {}): Promise<MqttClient> {
  const auth: IClientOptions = {};
  if (username !== undefined) auth.username = username;
  if (password !== undefined) auth.password = password;
  return connectAsync(`mqtt://127.0.0.1:${port}`, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, ...auth, ...options });
}

/** The refusal a CONNECT gets: mqtt.js rejects with the CONNACK return code. */
export async function connectRefusal(port: number, username: string | undefined, password: string | undefined, options: Partial<IClientOptions> = {}): Promise<number | string> {
  try {
    const client = await connectDevice(port, username, password, options);
    await client.endAsync(true);
    return 'accepted';
  } catch (error) {
    return (error as { code?: number }).code ?? String(error);
  }
}
