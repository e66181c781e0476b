// A runtime context for console tests: a real site config (parsed from YAML), the real event bus and
// stats, no drivers — the tests emit measurements and status events themselves, as drivers would.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { parseSiteConfig } from '../../../config/load-site.js';
import { hashPassword } from '../../../contract/password-hash.js';
import { EventBus } from '../../../gateway/pipeline/event-bus.js';
import type { GatewayEvents } from '../../../gateway/pipeline/events.js';
import type { RuntimeContext } from '../../../gateway/pipeline/stage.js';
import { Stats } from '../../../contract/stats.js';
import { testContext } from '../../helpers/runtime-context.js';

export const PASSWORD = 'install-pw-2026';
/** Cheap scrypt parameters: these tests check the login flow, not the cost. */
const FAST = { N: 1024, r: 8, p: 1 };

export function siteYaml(port: number, passwordFile: string | undefined, consoleExtra = ''): string {
  return `version: 1
gateway: { township: chengguan, compound: hongqi-lane-12, id: gw-test, name: { zh: 红旗巷测试网关, en: Hongqi test gateway } }
buses:
  - { id: sim, type: tcp, host: 127.0.0.1, port: 1502 }
sources:
  - { id: b1-meter, profile: eastron/sdm120, bus: sim, unit: 1, tags: { building: "1", room: power-room } }
  - { id: pump-th, profile: generic/xy-md02, bus: sim, unit: 2, tags: { building: "2", floor: "-1", room: pump-room } }
  - { id: b1-rcm, profile: acrel/aim-r100, bus: sim, unit: 3, tags: { building: "1", room: power-room } }
actuators:
  - { id: siren-1, type: gpio, role: siren, line: 17 }
  - { id: strobe-1, type: gpio, role: strobe, line: 27 }
console: { host: 127.0.0.1, port: ${port}${passwordFile ? `, passwordFile: ${passwordFile}` : ''}${consoleExtra} }
`;
}

export async function writePasswordFile(dir: string): Promise<string> {
  const file = join(dir, 'console.hash');
  writeFileSync(file, `${await hashPassword(PASSWORD, FAST)}\n`, { mode: 0o600 });
  return file;
}

export interface TestContext {
  readonly context: RuntimeContext;
  readonly configFile: string;
  readonly logs: string[];
}

/** `consoleExtra` is appended inside the console section, e.g. `, tls: { certFile: ..., keyFile: ... }`. */
export function makeContext(dir: string, port: number, passwordFile: string | undefined, consoleExtra = ''): TestContext {
  const configFile = join(dir, `site-${port}.yaml`);
  const text = siteYaml(port, passwordFile, consoleExtra);
  writeFileSync(configFile, text);
  const loaded = parseSiteConfig(configFile, text);
  const logs: string[] = [];
  const log = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _enc, done) => (logs.push(chunk.toString()), done()) }));
  const stats = new Stats();
  const events = new EventBus<GatewayEvents>((event, error) => {
    throw new Error(`listener for ${event} failed: ${String(error)}`);
  });
  const context = testContext(loaded, { events, log, stats });
  return { context, configFile, logs };
}
