// MQTT notices and Home Assistant discovery against a real broker (mosquitto as the site's external
// local broker), through the real local-broker and actuators stages.
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSiteConfig } from '../../../config/load-site.js';
import { ActuatorsStage } from '../../../gateway/actuators/stage.js';
import { LocalBrokerStage } from '../../../gateway/local-broker/stage.js';
import { EventBus } from '../../../gateway/pipeline/event-bus.js';
import type { GatewayEvents } from '../../../gateway/pipeline/events.js';
import type { AlarmEvent } from '../../../gateway/pipeline/types.js';
import type { RuntimeContext } from '../../../gateway/pipeline/stage.js';
import { startMosquitto, type Peer } from '../../helpers/peers.js';
import { waitFor } from '../../helpers/wait.js';
import { testContext } from '../../helpers/runtime-context.js';

const siteYaml = (port: number) => `
version: 1
gateway: { township: tw, compound: c1, id: gw-1 }
buses: [{ id: b1, type: tcp, host: 127.0.0.1, port: 5020 }]
sources:
  - { id: level-1, profile: generic/qdy30a, bus: b1, unit: 1, tags: { building: "3", unit: "2", room: 地下车库 } }
localBroker: { external: { url: "mqtt://127.0.0.1:${port}" } }
actuators:
  - { id: notice, type: mqtt-notice, topicPrefix: lastmile/notice }
  - { id: ha, type: homeassistant, stateEvery: 1s }
`;

function alarm(transition: AlarmEvent['transition'], state: AlarmEvent['state']): AlarmEvent {
  return {
    eventId: crypto.randomUUID(),
    alarmId: 'level-1.level.water_alarm',
    transition,
    state,
    level: 'alarm',
    source: 'level-1',
    point: 'level',
    rule: 'water_alarm',
    value: 42,
    text: { zh: '3号楼2单元 地下车库 液位 42 cm：积水报警，请立即检查排水泵', en: 'Building 3 Unit 2 地下车库: Level 42 cm: Flooding, check the pump now' },
    tags: { building: '3', unit: '2', room: '地下车库' },
    ts: Date.now(),
    mono: 0,
    timeSynced: true,
    by: undefined,
  };
}

/** Collects messages of a filter, with a wait for one matching a predicate. */
async function watcher(port: number, filter: string) {
  const client = await connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: `test-${Math.random().toString(16).slice(2)}` });
  const messages: { topic: string; payload: string; retain: boolean }[] = [];
  client.on('message', (topic, payload, packet) => messages.push({ topic, payload: payload.toString(), retain: packet.retain }));
  await client.subscribeAsync(filter, { qos: 1 });
  const next = (predicate: (m: { topic: string; payload: string }) => boolean, ms = 5000) =>
    waitFor(`a message on ${filter} that matches`, () => messages.find(predicate), ms, () => messages.map((m) => m.topic));
  return { client, messages, waitFor: next };
}

describe('MQTT notice and Home Assistant actuators (real mosquitto)', () => {
  let broker: Peer;
  let context: RuntimeContext;
  let localBroker: LocalBrokerStage;
  let actuators: ActuatorsStage;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    broker = await startMosquitto();
    // A retained notice left from before a restart: the gateway must mark it cleared.
    const old = await connectAsync(`mqtt://127.0.0.1:${broker.port}`);
    await old.publishAsync('lastmile/notice/level-1.level.old_rule', JSON.stringify({ alarmId: 'level-1.level.old_rule', state: 'raised' }), { qos: 1, retain: true });
    await old.endAsync();
    const loaded = parseSiteConfig('site.yaml', siteYaml(broker.port));
    context = testContext(loaded, { events: new EventBus<GatewayEvents>(() => undefined) });
    localBroker = new LocalBrokerStage(context);
    await localBroker.start();
    actuators = new ActuatorsStage(context);
    await actuators.start();
  });

  afterAll(async () => {
    await actuators?.stop();
    await localBroker?.stop();
    await Promise.all(clients.map((c) => c.endAsync()));
    await broker?.stop();
  });

  it('publishes a retained notice per alarm with zh and en texts and the location, then a retained cleared state', async () => {
    const live = await watcher(broker.port, 'lastmile/notice/#');
    clients.push(live.client);
    context.events.emit('alarm', alarm('raise', 'raised'));
    const raised = await live.waitFor((m) => m.topic === 'lastmile/notice/level-1.level.water_alarm' && m.payload.includes('"raised"'));
    const payload = JSON.parse(raised.payload);
    expect(payload).toMatchObject({ state: 'raised', level: 'alarm', silenced: false, value: 42, location: { zh: '3号楼2单元 地下车库', building: '3', unit: '2' } });
    expect(payload.text.zh).toContain('请立即检查排水泵');
    expect(payload.text.en).toContain('check the pump now');

    // A display rebooting during the flood: its area's retained summary says the flood is on.
    const rebooted = await watcher(broker.port, 'lastmile/notice/area/3');
    clients.push(rebooted.client);
    const area = JSON.parse((await rebooted.waitFor((m) => m.payload.includes('water_alarm'))).payload);
    expect(area).toMatchObject({ area: '3', alarms: [{ alarmId: 'level-1.level.water_alarm', level: 'alarm', state: 'raised' }] });
    expect(area.text.zh).toBe('3号楼：1条报警');

    context.events.emit('alarm', alarm('clear', 'cleared'));
    const cleared = JSON.parse((await live.waitFor((m) => m.topic === 'lastmile/notice/level-1.level.water_alarm' && m.payload.includes('"cleared"'))).payload);
    // Cleared with its own text (the profile rule's text), not the raise text.
    expect(cleared.text).toEqual({ zh: '3号楼2单元 地下车库：积水报警已解除', en: 'Building 3 Unit 2 地下车库: Flooding cleared' });
    // A display connecting later sees the retained cleared state, and an empty area.
    const late = await watcher(broker.port, 'lastmile/notice/level-1.level.water_alarm');
    clients.push(late.client);
    const retained = await late.waitFor(() => true);
    expect(JSON.parse(retained.payload).state).toBe('cleared');
    const lateArea = await watcher(broker.port, 'lastmile/notice/area/3');
    clients.push(lateArea.client);
    expect(JSON.parse((await lateArea.waitFor(() => true)).payload)).toMatchObject({ area: '3', alarms: [], text: { zh: '3号楼：无报警', en: 'Building 3: no alarms' } });
  });

  it('marks a retained notice from before a restart as cleared', async () => {
    const late = await watcher(broker.port, 'lastmile/notice/level-1.level.old_rule');
    clients.push(late.client);
    const seen = await late.waitFor((m) => m.payload.includes('"cleared"'));
    expect(JSON.parse(seen.payload)).toMatchObject({ state: 'cleared', alarmId: 'level-1.level.old_rule' });
  });

  it('announces Home Assistant sensors and alarm binary sensors with device info and availability', async () => {
    const ha = await watcher(broker.port, 'homeassistant/#');
    clients.push(ha.client);
    const sensor = await ha.waitFor((m) => m.topic === 'homeassistant/sensor/gw-1_level-1/level/config');
    const config = JSON.parse(sensor.payload);
    expect(config).toMatchObject({
      unique_id: 'lastmile_gw-1_level-1_level',
      state_topic: 'lastmile/ha/gw-1/level-1/level',
      availability: [{ topic: 'lastmile/ha/gw-1/availability' }, { topic: 'lastmile/ha/gw-1/level-1/availability' }],
      device: { identifiers: ['lastmile_gw-1_level-1'], manufacturer: 'Generic', model: 'QDY30A', via_device: 'lastmile_gw-1' },
    });
    const binary = await ha.waitFor((m) => m.topic === 'homeassistant/binary_sensor/gw-1_level-1/level-1_level_water_alarm/config');
    expect(JSON.parse(binary.payload)).toMatchObject({ state_topic: 'lastmile/ha/gw-1/alarm/level-1.level.water_alarm', device_class: 'moisture', payload_on: 'ON' });
    const silent = await ha.waitFor((m) => m.topic === 'homeassistant/binary_sensor/gw-1_level-1/level-1___silent/config');
    expect(JSON.parse(silent.payload)).toMatchObject({ device_class: 'connectivity', payload_on: 'OFF', payload_off: 'ON' });

    const states = await watcher(broker.port, 'lastmile/ha/#');
    clients.push(states.client);
    expect((await states.waitFor((m) => m.topic === 'lastmile/ha/gw-1/availability')).payload).toBe('online');
    context.events.emit('alarm', alarm('raise', 'raised'));
    await states.waitFor((m) => m.topic === 'lastmile/ha/gw-1/alarm/level-1.level.water_alarm' && m.payload === 'ON');
    const tags = context.sources[0]!.tags;
    for (const value of [12.5, 13]) context.events.emit('measurement', { source: 'level-1', point: 'level', class: 'water_level', value, unit: 'cm', ts: Date.now(), mono: performance.now(), timeSynced: true, quality: 'good', tags });
    // The level's unit comes from the transmitter's unit code; HA was told m, so 12.5 cm goes as 0.125.
    await states.waitFor((m) => m.topic === 'lastmile/ha/gw-1/level-1/level' && m.payload === '0.125');
    // The second value came within stateEvery (1 s) and was throttled.
    await new Promise((r) => setTimeout(r, 200));
    expect(states.messages.filter((m) => m.topic === 'lastmile/ha/gw-1/level-1/level').map((m) => m.payload)).toEqual(['0.125']);
  });
});
