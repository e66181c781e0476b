// The MQTT driver against a real external broker: mosquitto 2.0 with a password_file and an acl_file
// (made with mosquitto_passwd), the gateway connecting through localBroker.external. Includes a broker
// restart mid-run: the driver reconnects by itself and readings resume.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBinary, startMosquitto, tempDir, type Peer } from '../../../helpers/peers.js';
import { startGateway, waitFor, type TestGateway } from '../../local-broker/harness.js';

const PROFILES = fileURLToPath(new URL('./profiles/', import.meta.url));

describe('MQTT driver on an external mosquitto', () => {
  const dir = tempDir('mqtt-external');
  let mosquitto: Peer & { dir: string; config: string };
  let extraConfig: string[];
  let gateway: TestGateway;
  let device: MqttClient;

  beforeAll(async () => {
    const passwd = requireBinary('/usr/bin/mosquitto_passwd');
    const passwordFile = join(dir.path, 'passwd');
    execFileSync(passwd, ['-c', '-b', passwordFile, 'gateway', 'gateway-password']);
    execFileSync(passwd, ['-b', passwordFile, 'th-1', 'th-1-password']);
    const aclFile = join(dir.path, 'acl');
    // The gateway reads every device topic; each device may write only below its own username.
    writeFileSync(aclFile, ['user gateway', 'topic read lastmile/dev/#', '', 'pattern write lastmile/dev/%u/#', ''].join('\n'));
    // Started as root, mosquitto drops to user "mosquitto", which cannot read our 0700 temp dir; stay as ourselves.
    extraConfig = [`user ${userInfo().username}`, `password_file ${passwordFile}`, `acl_file ${aclFile}`, 'allow_anonymous false'];
    mosquitto = await startMosquitto({ extraConfig, dir: join(dir.path) });

    const secret = join(dir.path, 'gateway.secret');
    writeFileSync(secret, 'gateway-password\n', { mode: 0o600 });
    gateway = await startGateway(
      dir.path,
      `version: 1
gateway: { township: t1, compound: c1, id: gw-1, profilesDir: ${PROFILES} }
sources:
  - id: th-1
    profile: testlab/wifi-th
    mqtt: { topic: lastmile/dev/th-1/state }
    tags: { building: "5" }
spool: { dir: ${join(dir.path, 'spool')} }
localBroker:
  external: { url: "mqtt://127.0.0.1:${mosquitto.port}", username: gateway, passwordFile: ${secret} }
`,
    );
    device = await connectAsync(`mqtt://127.0.0.1:${mosquitto.port}`, { username: 'th-1', password: 'th-1-password', reconnectPeriod: 200, protocolVersion: 4 });
  });

  afterAll(async () => {
    await device?.endAsync(true);
    await gateway?.stop();
    await mosquitto?.stop();
    dir.remove();
  });

  function temperatures(): number[] {
    return gateway.measurements.filter((m) => m.source === 'th-1' && m.point === 'temperature').map((m) => m.value as number);
  }

  /** Publishes until the gateway has decoded this value (the gateway's subscription may still be on its way). */
  async function publishUntilSeen(value: number): Promise<void> {
    await waitFor(`temperature ${value} through mosquitto`, () => {
      if (temperatures().includes(value)) return true;
      if (device.connected) device.publish('lastmile/dev/th-1/state', JSON.stringify({ sensor: { temperature: value, humidity: 50 }, battery: 3 }), { qos: 1 });
      return false;
    }, 10_000);
  }

  it('reads a device through the external broker with the gateway\'s own credentials', async () => {
    await publishUntilSeen(22.5);
    expect(gateway.statuses).toContainEqual(expect.objectContaining({ source: 'th-1', online: true }));
    expect(gateway.logLines().some((l) => JSON.stringify(l).includes('gateway-password'))).toBe(false);
  });

  it('reconnects after the broker is killed and restarted, and readings resume', async () => {
    await mosquitto.kill();
    await waitFor('the driver to notice the broker is gone', () => gateway.statuses.some((s) => s.source === 'th-1' && !s.online), 10_000);
    expect(gateway.statuses.at(-1)).toMatchObject({ source: 'th-1', online: false, lastError: { kind: 'connection' } });
    mosquitto = await startMosquitto({ extraConfig, dir: dir.path, port: mosquitto.port });
    await publishUntilSeen(23.75);
    expect(gateway.statuses.at(-1)).toMatchObject({ source: 'th-1', online: true });
    expect(gateway.runtime.context.stats.counter('mqtt.disconnected')).toBeGreaterThanOrEqual(1);
  });

  it('still counts malformed payloads through the external broker', async () => {
    const stats = gateway.runtime.context.stats;
    const before = stats.counter('mqtt.malformed', { source: 'th-1' });
    await device.publishAsync('lastmile/dev/th-1/state', '{"sensor": {"temperature": 2', { qos: 1 });
    await publishUntilSeen(24.25);
    expect(stats.counter('mqtt.malformed', { source: 'th-1' })).toBe(before + 1);
  });
});
