// Home Assistant discovery on the demo compound's config (issue 20): the demo's local broker and actuators
// stages, and a client logged in as the demo's `home-assistant` user, as HA's MQTT integration would be.
// Every retained config under homeassistant/# must hold HA's discovery rules for its component
// (ha-discovery-rules.ts), and the classes HA needs for statistics must be there.
import { writeFileSync } from 'node:fs';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HomeAssistantActuator } from '../../../gateway/actuators/homeassistant/actuator.js';
import { ActuatorsStage } from '../../../gateway/actuators/stage.js';
import { loadDemoConfig } from '../../../scripts/demo/demo-compound.js';
import { MemoryGpioPort } from '../../../gateway/drivers/gpio/memory-port.js';
import { LocalBrokerStage } from '../../../gateway/local-broker/stage.js';
import { EventBus } from '../../../gateway/pipeline/event-bus.js';
import type { GatewayEvents } from '../../../gateway/pipeline/events.js';
import type { RuntimeContext } from '../../../gateway/pipeline/stage.js';
import { hashPassword } from '../../../contract/password-hash.js';
import { freePort, tempDir } from '../../helpers/peers.js';
import { waitFor } from '../../helpers/wait.js';
import { discoveryProblems, type DiscoveryConfig } from './ha-discovery-rules.js';
import { SOURCE_FAULT_CODES } from '../../../gateway/pipeline/types.js';
import { testContext } from '../../helpers/runtime-context.js';

const dir = tempDir('ha-demo');
const PASSWORD = 'ha-demo-password';
let context: RuntimeContext;
let broker: LocalBrokerStage;
let actuators: ActuatorsStage;
let ha: MqttClient;
let port = 0;
const configs = new Map<string, Record<string, unknown>>();
const states = new Map<string, string>();

beforeAll(async () => {
  port = await freePort();
  const site = loadDemoConfig({ dir: dir.path, ports: { broker: port } });
  for (const user of site.config.localBroker!.users) writeFileSync(user.passwordFile, `${await hashPassword(PASSWORD, { N: 1024, r: 8, p: 1 })}\n`, { mode: 0o600 });
  context = testContext(site, { events: new EventBus<GatewayEvents>(() => undefined), gpioPort: () => new MemoryGpioPort() });
  broker = new LocalBrokerStage(context);
  await broker.start();
  actuators = new ActuatorsStage(context);
  await actuators.start();
  await broker.driversStarted?.();
  ha = await connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'home-assistant', username: 'home-assistant', password: PASSWORD, reconnectPeriod: 0 });
  ha.on('message', (topic, payload) => {
    if (topic.startsWith('homeassistant/') && topic.endsWith('/config')) configs.set(topic, JSON.parse(payload.toString()) as Record<string, unknown>);
    else states.set(topic, payload.toString());
  });
  await ha.subscribeAsync(['homeassistant/#', 'lastmile/ha/#'], { qos: 1 });
}, 30_000);

afterAll(async () => {
  await ha?.endAsync();
  await actuators?.stop();
  await broker?.stop();
  dir.remove();
});

/** Every source point and rule, announced: waits for the count the actuator itself says it announces. */
async function allConfigs(): Promise<DiscoveryConfig[]> {
  const expected = actuators.actuators.find((a): a is HomeAssistantActuator => 'homeAssistant' in a)!.homeAssistant.discovery().length;
  await waitFor(`${expected} discovery configs`, () => configs.size >= expected, 15_000);
  return [...configs].map(([topic, payload]) => ({ topic, payload }));
}

describe('Home Assistant discovery on the demo config', () => {
  it('every config holds HA discovery rules for its component', async () => {
    const all = await allConfigs();
    expect(all.length).toBeGreaterThan(100);
    expect(discoveryProblems(all)).toEqual([]);
  }, 30_000);

  it('the rules check fails on what issue 20 found (so it can fail)', () => {
    const device = { identifiers: ['lastmile_gw_x'], name: 'x', via_device: 'lastmile_gw' };
    const bad = discoveryProblems([
      { topic: 'homeassistant/sensor/gw_x/humidity/config', payload: { name: 'h', unique_id: 'a', state_topic: 's/a', unit_of_measurement: '%RH', device } },
      { topic: 'homeassistant/sensor/gw_x/energy/config', payload: { name: 'e', unique_id: 'b', state_topic: 's/b', unit_of_measurement: 'kWh', device_class: 'energy', state_class: 'measurement', device } },
      { topic: 'homeassistant/sensor/gw_x/state/config', payload: { name: 'st', unique_id: 'c', state_topic: 's/c', device_class: 'enum', device } },
    ]);
    expect(bad.join('\n')).toMatch(/via_device lastmile_gw is no announced device/);
    expect(bad.join('\n')).toMatch(/%RH but no state_class/);
    expect(bad.join('\n')).toMatch(/energy needs state_class total/);
    expect(bad.join('\n')).toMatch(/enum without a list/);
  });

  it('classes for statistics and the Energy dashboard: energy, humidity in %, enums with options, the gateway device', async () => {
    await allConfigs();
    const sensor = (source: string, point: string) => configs.get(`homeassistant/sensor/gw-hongqi-01_${source}/${point}/config`);
    expect(sensor('b1-u1-301-meter', 'import_energy')).toMatchObject({ device_class: 'energy', state_class: 'total_increasing', unit_of_measurement: 'kWh' });
    expect(sensor('b1-u1-lighting', 'voltage')).toMatchObject({ device_class: 'voltage', state_class: 'measurement', unit_of_measurement: 'V' });
    expect(sensor('b2-pump-room-th', 'humidity')).toMatchObject({ device_class: 'humidity', state_class: 'measurement', unit_of_measurement: '%' });
    // The level's unit comes from a unit-code register; HA gets one unit (the table's first, m) and converted values.
    expect(sensor('garage-level', 'level')).toMatchObject({ device_class: 'distance', state_class: 'measurement', unit_of_measurement: 'm' });
    const door = sensor('b1-fire-door', 'contact')!;
    expect(door).toMatchObject({ device_class: 'enum' });
    expect([...(door.options as string[])].sort()).toEqual(['closed', 'open']);
    expect(door).not.toHaveProperty('unit_of_measurement');
    const gateway = configs.get('homeassistant/binary_sensor/gw-hongqi-01/connectivity/config')!;
    expect(gateway).toMatchObject({ device_class: 'connectivity', state_topic: 'lastmile/ha/gw-hongqi-01/availability', payload_on: 'online', device: { identifiers: ['lastmile_gw-hongqi-01'] } });
    expect((sensor('garage-level', 'level')!.device as { via_device: string }).via_device).toBe('lastmile_gw-hongqi-01');
    await waitFor('gateway online', () => states.get('lastmile/ha/gw-hongqi-01/availability') === 'online');
    // A source's sensors go unavailable while its driver says it is offline, and come back with it.
    expect(sensor('garage-level', 'level')).toMatchObject({ availability_mode: 'all', availability: [{ topic: 'lastmile/ha/gw-hongqi-01/availability' }, { topic: 'lastmile/ha/gw-hongqi-01/garage-level/availability' }] });
    await waitFor('garage-level available', () => states.get('lastmile/ha/gw-hongqi-01/garage-level/availability') === 'online');
    context.events.emit('source.status', { source: 'garage-level', online: false, mono: 0, lastError: { kind: 'timeout', code: SOURCE_FAULT_CODES.timeout, message: 'no answer' } });
    await waitFor('garage-level unavailable', () => states.get('lastmile/ha/gw-hongqi-01/garage-level/availability') === 'offline');
    context.events.emit('source.status', { source: 'garage-level', online: true, mono: 0 });
    await waitFor('garage-level available again', () => states.get('lastmile/ha/gw-hongqi-01/garage-level/availability') === 'online');
  }, 30_000);

  it('HA saying "online" after its restart gets every config again, with an active alarm still ON', async () => {
    await allConfigs();
    const alarmId = 'garage-level.level.water_alarm';
    context.events.emit('alarm', { eventId: 'e1', alarmId, transition: 'raise', state: 'raised', level: 'alarm', source: 'garage-level', point: 'level', rule: 'water_alarm', value: 36, text: { zh: '积水', en: 'water' }, tags: {}, ts: Date.now(), mono: 0, timeSynced: true, by: undefined });
    const stateTopic = `lastmile/ha/gw-hongqi-01/alarm/${alarmId}`;
    await waitFor('alarm ON', () => states.get(stateTopic) === 'ON');
    configs.clear();
    states.delete(stateTopic);
    await ha.publishAsync('homeassistant/status', 'online', { qos: 1 });
    await allConfigs();
    await waitFor('alarm state re-announced', () => states.get(stateTopic) !== undefined);
    expect(states.get(stateTopic)).toBe('ON');
  }, 30_000);
});
