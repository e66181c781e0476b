// MqttDriver.init(): config problems are thrown with the source named, before any I/O.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MqttDriver } from '../../../../gateway/drivers/mqtt/driver.js';
import { tempDir } from '../../../helpers/peers.js';
import { startGateway } from '../../local-broker/harness.js';

function site(dir: string, topics: readonly string[], withBroker: boolean): string {
  const sources = topics.map((topic, i) => `  - { id: door-${i + 1}, profile: hikvision/acs-mqtt, mqtt: { topic: "${topic}" }, tags: { building: "1" } }`).join('\n');
  return `version: 1
gateway: { township: t1, compound: c1, id: gw-1 }
sources:
${sources}
spool: { dir: ${join(dir, 'spool')} }
${withBroker ? 'localBroker: { host: 127.0.0.1, port: 1883 }' : ''}
`;
}

describe('MQTT driver init', () => {
  const dir = tempDir('mqtt-init');
  afterAll(() => dir.remove());

  it('needs a local broker, and says so naming the source', async () => {
    const gateway = await startGateway(dir.path, site(dir.path, ['a/b'], false), { start: false });
    const driver = new MqttDriver({ ...gateway.runtime.context, sources: gateway.runtime.context.sources });
    expect(() => driver.init()).toThrow(/source door-1: MQTT sources need an enabled "localBroker"/);
  });

  it('refuses two sources on the same topic', async () => {
    const gateway = await startGateway(dir.path, site(dir.path, ['acs/+/events', 'acs/+/events'], true), { start: false });
    const driver = new MqttDriver({ ...gateway.runtime.context, sources: gateway.runtime.context.sources });
    expect(() => driver.init()).toThrow(/source door-2: mqtt.topic "acs\/\+\/events" is already used by source door-1/);
  });

  it('refuses a topic that is not a valid filter', async () => {
    const gateway = await startGateway(dir.path, site(dir.path, ['acs/#/events'], true), { start: false });
    const driver = new MqttDriver({ ...gateway.runtime.context, sources: gateway.runtime.context.sources });
    expect(() => driver.init()).toThrow(/source door-1: mqtt.topic "acs\/#\/events" is not a valid MQTT topic filter/);
  });
});
