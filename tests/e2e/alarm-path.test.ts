// End to end, with real peers: a simulated Calectro Uniguard smoke detector (modbus-serial ServerTCP
// speaking the calectro/uniguard-ug3-mb profile; discrete input 2 = smoke) → the real Modbus driver →
// decoder → rules → alarm engine → actuators: the siren on the in-memory GPIO port (this machine has no
// GPIO, see DESIGN.md) and a retained MQTT notice on a real broker (mosquitto as the local broker).
// Fire latches: after the smoke clears the siren keeps sounding until a 'reset' command. A short press of
// the local silence button (memory port input) silences a new alarm while it stays active.
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSiteConfig } from '../../config/load-site.js';
import { resolveProfile } from '../../gateway/devices/resolve.js';
import { MemoryGpioPort } from '../../gateway/drivers/gpio/memory-port.js';
import type { AlarmEvent, Measurement } from '../../gateway/pipeline/types.js';
import { GatewayRuntime } from '../../gateway/runtime.js';
import { silentLogger } from '../../contract/logger.js';
import { ModbusSimulator } from '../../gateway/sim/modbus-simulator.js';
import { freePort, startMosquitto, tempDir, type Peer } from '../helpers/peers.js';
import { waitFor } from '../helpers/wait.js';

const SIREN_LINE = 17;
const BUTTON_LINE = 22;
const ALARM_ID = 'smoke-1.smoke_alarm.smoke';
const NOTICE_TOPIC = `lastmile/notice/${ALARM_ID}`;

const siteYaml = (modbusPort: number, brokerPort: number, spoolDir: string) => `
version: 1
gateway: { township: tw, compound: c1, id: gw-e2e }
buses:
  - { id: riser, type: tcp, host: 127.0.0.1, port: ${modbusPort}, timeout: 500ms }
sources:
  - id: smoke-1
    profile: calectro/uniguard-ug3-mb
    bus: riser
    unit: 1
    poll: 100ms
    tags: { building: "3", unit: "2", floor: "1", room: 配电间 }
localBroker: { external: { url: "mqtt://127.0.0.1:${brokerPort}" } }
actuators:
  - { id: siren-1, type: gpio, role: siren, line: ${SIREN_LINE} }
  - { id: button-1, type: gpio, role: silence_button, line: ${BUTTON_LINE}, silenceFor: 10m }
  - { id: notice, type: mqtt-notice }
spool: { dir: ${spoolDir} }
`;

const until = <T>(what: string, probe: () => T | undefined | false, timeoutMs = 8000) => waitFor(what, probe, timeoutMs);

describe('alarm path: smoke detector → siren and MQTT notice', () => {
  let broker: Peer;
  let sim: ModbusSimulator;
  let runtime: GatewayRuntime;
  let display: MqttClient;
  const spool = tempDir('alarm-e2e');
  const port = new MemoryGpioPort();
  const alarms: AlarmEvent[] = [];
  const smokeValues: Measurement['value'][] = [];
  const notices: { state: string; silenced: boolean; text: { zh: string; en: string } }[] = [];

  beforeAll(async () => {
    broker = await startMosquitto();
    const modbusPort = await freePort();
    const loaded = parseSiteConfig('e2e-site.yaml', siteYaml(modbusPort, broker.port, spool.path));
    const profile = loaded.profiles.get('calectro/uniguard-ug3-mb')!;
    sim = new ModbusSimulator([{ unit: 1, resolved: resolveProfile(profile), scenario: () => ({ detector_mounted: 'mounted', service_alarm: 'ok', smoke_alarm: 'normal', relay: 'released' }) }], { host: '127.0.0.1', port: modbusPort });
    await sim.start();

    display = await connectAsync(`mqtt://127.0.0.1:${broker.port}`, { clientId: 'lobby-display' });
    display.on('message', (topic, payload) => {
      if (topic === NOTICE_TOPIC && payload.length > 0) notices.push(JSON.parse(payload.toString()));
    });
    await display.subscribeAsync('lastmile/notice/#', { qos: 1 });

    port.setInput(BUTTON_LINE, 1); // released (pulled up; the button pulls to ground)
    runtime = new GatewayRuntime(loaded, { log: silentLogger(), gpioPort: () => port });
    runtime.context.events.on('alarm', (e) => alarms.push(e));
    runtime.context.events.on('measurement', (m) => {
      if (m.point === 'smoke_alarm') smokeValues.push(m.value);
    });
    await runtime.start();
  });

  afterAll(async () => {
    await runtime?.stop();
    await display?.endAsync();
    await sim?.stop();
    await broker?.stop();
    spool.remove();
  });

  it('sounds the siren and publishes the notice (zh + en) when the detector reports smoke', async () => {
    await until('a first smoke_alarm measurement', () => smokeValues.includes('normal'));
    expect(port.outputLevel(SIREN_LINE)).toBe(0);

    sim.set(1, 'smoke_alarm', 'smoke');
    await until('the siren', () => port.outputLevel(SIREN_LINE) === 1);
    const raised = alarms.find((a) => a.alarmId === ALARM_ID && a.transition === 'raise')!;
    expect(raised).toMatchObject({ level: 'fire', state: 'raised', source: 'smoke-1', value: 'smoke' });
    expect(raised.eventId).toMatch(/^[0-9a-f-]{36}$/);

    const notice = await until('the raised notice', () => notices.find((n) => n.state === 'raised'));
    expect(notice.text.zh).toBe('3号楼2单元1层 配电间 烟雾报警：风管烟雾报警，请立即撤离并拨打119');
    expect(notice.text.en).toBe('Building 3 Unit 2 Floor 1 配电间: Smoke alarm: Duct smoke alarm, leave the building now and call 119');
  });

  it('keeps the latched fire alarm sounding after the smoke clears, until a reset command', async () => {
    sim.set(1, 'smoke_alarm', 'normal');
    const seen = smokeValues.length;
    await until('the smoke clearing', () => smokeValues.slice(seen).includes('normal'));
    // Several polls later the alarm is still latched and the siren still on.
    const polls = smokeValues.length;
    await until('three more polls', () => smokeValues.length >= polls + 3);
    expect(port.outputLevel(SIREN_LINE)).toBe(1);
    expect(alarms.filter((a) => a.alarmId === ALARM_ID).map((a) => a.transition)).toEqual(['raise']);
    expect(runtime.context.services.get('alarmEngine')?.alarms()).toMatchObject([{ alarmId: ALARM_ID, state: 'raised', conditionActive: false, latch: true }]);

    runtime.context.events.emit('command', { kind: 'reset', alarmId: ALARM_ID, by: 'console:installer' });
    await until('the siren to stop', () => port.outputLevel(SIREN_LINE) === 0);
    expect(alarms.filter((a) => a.alarmId === ALARM_ID).map((a) => `${a.transition}:${a.state}`)).toEqual(['raise:raised', 'reset:cleared']);
    await until('the cleared notice', () => notices.find((n) => n.state === 'cleared'));
  });

  it('silences a new fire alarm with a short press of the local button while the alarm stays active', async () => {
    sim.set(1, 'smoke_alarm', 'smoke');
    await until('the siren for the new alarm', () => port.outputLevel(SIREN_LINE) === 1);
    const before = notices.length;
    port.setInput(BUTTON_LINE, 0);
    await new Promise((r) => setTimeout(r, 150));
    port.setInput(BUTTON_LINE, 1);
    await until('the siren to be silenced', () => port.outputLevel(SIREN_LINE) === 0);
    const silenced = await until('the silenced notice', () => notices.slice(before).find((n) => n.silenced));
    expect(silenced.state).toBe('raised');
    expect(alarms.at(-1)).toMatchObject({ alarmId: ALARM_ID, transition: 'silence', state: 'raised', by: 'button:button-1' });
    expect(runtime.context.services.get('alarmEngine')?.get(ALARM_ID)).toMatchObject({ state: 'raised', silenced: true });

    sim.set(1, 'smoke_alarm', 'normal');
    await until('the condition to clear', () => runtime.context.services.get('alarmEngine')?.get(ALARM_ID)?.conditionActive === false);
    runtime.context.events.emit('command', { kind: 'reset', alarmId: ALARM_ID, by: 'console:installer' });
    expect(runtime.context.services.get('alarmEngine')?.alarms()).toEqual([]);
  });
});
