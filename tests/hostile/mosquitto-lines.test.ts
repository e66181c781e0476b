// The mosquitto lines `lastmile-ingest provision` prints (issue 13 item 8) against a real mosquitto 2.0: with the
// printed mosquitto.conf lines, one gateway using another's client id cannot knock it off, and no
// gateway can leave a retained message on its own command topic (the ACL gives it no write there).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { GatewayRegistry } from '../../cloud-ingest/registry/registry.js';
import { formatProvisionResult, MOSQUITTO_CONF_LINES, provisionGateway, type ProvisionResult } from '../../cloud-ingest/registry/provision.js';
import { topics } from '../../contract/wire.js';
import { startMosquitto, tempDir } from '../helpers/peers.js';

describe('mosquitto lines from lastmile-ingest provision', () => {
  const dir = tempDir('hostile-mosquitto');
  let broker: Awaited<ReturnType<typeof startMosquitto>>;
  let a: ProvisionResult;
  let b: ProvisionResult;
  const clients: mqtt.MqttClient[] = [];
  const connect = async (result: ProvisionResult, clientId: string) => {
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { clientId, username: result.entry.id, password: result.password, reconnectPeriod: 0, connectTimeout: 5000, protocolVersion: 4 });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    const registry = new GatewayRegistry(join(dir.path, 'gateways.json')).load();
    a = provisionGateway(registry, { gateway: 'gw-a', township: 'town', compound: 'c1', brokerUrl: 'mqtts://t:8883' });
    b = provisionGateway(registry, { gateway: 'gw-b', township: 'town', compound: 'c2', brokerUrl: 'mqtts://t:8883' });
    expect(formatProvisionResult(a)).toContain('#     use_username_as_clientid true');
    writeFileSync(join(dir.path, 'passwd'), `${a.mosquittoPasswordLine}\n${b.mosquittoPasswordLine}\n`, { mode: 0o644 });
    writeFileSync(join(dir.path, 'acl'), `${a.mosquittoAcl}\n${b.mosquittoAcl}\n`, { mode: 0o644 });
    broker = await startMosquitto({ extraConfig: [`password_file ${join(dir.path, 'passwd')}`, `acl_file ${join(dir.path, 'acl')}`, ...MOSQUITTO_CONF_LINES.trim().split('\n')] });
  });
  afterAll(async () => {
    for (const c of clients) c.end(true);
    await broker?.stop();
    dir.remove();
  });

  it('keeps gw-b connected when gw-a connects with client id gw-b', async () => {
    const victim = await connect(b, 'gw-b');
    let kicked = false;
    victim.on('close', () => (kicked = true));
    const thief = await connect(a, 'gw-b');
    expect(thief.connected).toBe(true);
    // mosquitto drops a taken-over session before it answers the newcomer's CONNECT; a round trip on the
    // victim's connection after that proves it is still up.
    await victim.subscribeAsync(topics.command('gw-b'), { qos: 1 });
    expect(kicked).toBe(false);
    expect(victim.connected).toBe(true);
  });

  it('leaves no retained message on a gateway\'s own command topic', async () => {
    const gw = await connect(a, 'gw-a');
    await gw.publishAsync(topics.command('gw-a'), Buffer.from('{"id":"x","command":{"kind":"reset"}}'), { qos: 1, retain: true });
    const reader = await connect(a, 'gw-a-reader');
    const seen: string[] = [];
    reader.on('message', (topic) => seen.push(topic));
    await reader.subscribeAsync(topics.command('gw-a'), { qos: 1 });
    // Retained messages follow the SUBACK at once; a ping round trip after it is time enough to see one.
    await new Promise<void>((resolve) => setTimeout(resolve, 200));
    expect(seen).toEqual([]);
  });
});
