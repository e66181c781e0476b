// The README's main command in miniature: the demo compound's simulated devices and the gateway,
// started in-process on a free port; every source must deliver decoded measurements.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoCompound, type DemoCompound } from '../../scripts/demo/demo-compound.js';
import { LiveView } from '../../scripts/demo/live-view.js';
import type { AlarmEvent, Measurement } from '../../gateway/pipeline/types.js';
import { ACS_MINOR } from '../../gateway/sim/access-controller.js';
import { DEMO_LINES, DEMO_PANEL_ZONE, DEMO_UNITS } from '../../scripts/demo/storyline.js';
import { COMPONENT_STATUS } from '../../gateway/sim/gbt26875-device.js';
import { silentLogger } from '../../contract/logger.js';
import { freePort, tempDir } from '../helpers/peers.js';
import { waitFor } from '../helpers/wait.js';

describe('demo compound', () => {
  let demo: DemoCompound;
  let view: LiveView;
  const seen: Measurement[] = [];
  const alarms: AlarmEvent[] = [];
  const spool = tempDir('demo-spool');

  beforeAll(async () => {
    demo = await startDemoCompound({ log: silentLogger(), dir: spool.path, story: false, ports: { modbus: await freePort(), broker: await freePort(), console: await freePort(), townshipBroker: await freePort(), townshipConsole: await freePort(), victoria: await freePort(), panel: await freePort(), meters: await freePort() } });
    view = new LiveView(demo.runtime.context.events, () => undefined);
    demo.runtime.context.events.on('measurement', (m) => seen.push(m));
    demo.runtime.context.events.on('alarm', (a) => alarms.push(a));
    // The access controller only speaks when something happens at the gate, and the fire door's first
    // reading came before we listened: open and close both.
    await demo.gate.event(ACS_MINOR.doorOpen);
    demo.gpio.setInput(DEMO_LINES.fireDoor, 1);
    setTimeout(() => demo.gpio.setInput(DEMO_LINES.fireDoor, 0), 500);
    const deadline = Date.now() + 15_000;
    while (view.sourcesSeen().length < demo.runtime.context.sources.length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
    }
  }, 40_000);

  afterAll(async () => {
    view?.stop();
    await demo?.stop();
    spool.remove();
  });

  it('every source delivers measurements', () => {
    expect(view.sourcesSeen().sort()).toEqual(demo.runtime.context.sources.map((s) => s.config.id).sort());
  });

  it('measurements are decoded through the profiles, tagged with the compound and the location', () => {
    const voltage = seen.find((m) => m.source === 'b1-u1-lighting' && m.point === 'voltage');
    expect(voltage).toMatchObject({ class: 'power', unit: 'V', quality: 'good' });
    expect(voltage!.value as number).toBeGreaterThan(220);
    expect(voltage!.value as number).toBeLessThan(240);
    expect(voltage!.tags).toMatchObject({ township: 'chengguan', compound: 'hongqi-lane-12', gateway: 'gw-hongqi-01', source: 'b1-u1-lighting', building: '1', unit: '1', floor: '1' });
    const level = seen.find((m) => m.source === 'garage-level' && m.point === 'level');
    expect(level).toMatchObject({ class: 'water_level', unit: 'cm' });
    const smoke = seen.find((m) => m.source === 'b1-riser-smoke' && m.point === 'smoke_alarm');
    expect(smoke).toMatchObject({ class: 'smoke', value: 'normal' });
    expect(view.render()).toContain('实时数据 / live measurements');
  });

  it("building 1's household meters are read over DL/T 645 on their own bus, in kWh and V", () => {
    const energy = seen.find((m) => m.source === 'b1-u1-301-meter' && m.point === 'import_energy');
    expect(energy).toMatchObject({ class: 'power', unit: 'kWh', quality: 'good' });
    expect(energy!.tags).toMatchObject({ building: '1', unit: '1', floor: '3', room: '301' });
    const phaseC = seen.find((m) => m.source === 'b1-u1-stairwell-meter' && m.point === 'voltage_c');
    expect(phaseC).toMatchObject({ unit: 'V' });
    expect(phaseC!.value as number).toBeGreaterThan(210);
    expect(demo.meters.requestsTo('000011010101')).toBeGreaterThan(0);
  });

  it('water on the garage ramp sounds the siren, and it stops when the water drains', async () => {
    const siren = () => demo.gpio.outputLevel(27);
    expect(siren()).toBe(0);
    demo.modbus.set(DEMO_UNITS.garageLevel, 'level', 36);
    await waitFor('the garage level alarm raised', () => alarms.some((a) => a.source === 'garage-level' && a.level === 'alarm' && a.transition === 'raise'), 25_000);
    await waitFor('the siren on', () => siren() === 1, 25_000);
    expect(view.render()).toContain('告警/ALARM [alarm] raised garage-level.level');
    demo.modbus.set(DEMO_UNITS.garageLevel, 'level', undefined);
    await waitFor('the garage level alarm cleared', () => alarms.some((a) => a.source === 'garage-level' && a.level === 'alarm' && a.transition === 'clear'), 25_000);
    await waitFor('the siren off', () => siren() === 0, 25_000);
  }, 60_000);

  it('the fire panel transmission device reports a zone in fire: a fire alarm on the gateway at the mapped place', async () => {
    await expect(demo.panel.componentState(DEMO_PANEL_ZONE, COMPONENT_STATUS.fire, '3层走廊感烟')).resolves.toBe('confirmed');
    await waitFor('the fire panel zone fire alarm raised', () => alarms.some((a) => a.alarmId === 'b2-fire-panel.c1-1-3-12.panel_fire' && a.level === 'fire' && a.transition === 'raise'), 25_000);
    const fire = alarms.find((a) => a.alarmId === 'b2-fire-panel.c1-1-3-12.panel_fire')!;
    expect(fire.tags).toMatchObject({ building: '2', floor: '3', room: '走廊' });
    expect(fire.text.zh).toContain('3层走廊感烟探测器');
    await demo.panel.componentState(DEMO_PANEL_ZONE, COMPONENT_STATUS.normal, '3层走廊感烟');
    demo.runtime.context.events.emit('command', { kind: 'reset', alarmId: fire.alarmId, by: 'test' });
    await waitFor('the fire alarm reset', () => alarms.some((a) => a.alarmId === fire.alarmId && a.transition === 'reset'), 25_000);
  }, 60_000);

  it('the township receives the compound through the uplink: series in VictoriaMetrics with provisioned tags', async () => {
    const url = demo.township.victoriaUrl;
    expect(url, 'victoria-metrics must be installed (scripts/install-test-peers.sh)').toBeDefined();
    let series: { metric: Record<string, string>; values: number[] }[] = [];
    const deadline = Date.now() + 20_000;
    while (series.length === 0 && Date.now() < deadline) {
      await fetch(`${url}/internal/force_flush`);
      const res = await fetch(`${url}/api/v1/export?${new URLSearchParams({ 'match[]': '{__name__="power_voltage",source="b1-u1-lighting"}', start: '0' })}`);
      series = (await res.text()).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
      if (series.length === 0) await new Promise((r) => setTimeout(r, 500));
    }
    expect(series[0]?.metric).toMatchObject({ township: 'chengguan', compound: 'hongqi-lane-12', gateway: 'gw-hongqi-01', building: '1' });
    expect(series[0]!.values.every((v) => v > 220 && v < 240)).toBe(true);
  });

  it('the garage alarm is on the township board, and dispatching it acknowledges it on the gateway', async () => {
    const board = demo.township.service;
    const onBoard = async () => (await board.alarms.listOpen('chengguan')).filter((c) => c.gateway === 'gw-hongqi-01' && c.source === 'garage-level' && c.level === 'alarm');
    const garageCase = await waitFor('garage case on the board', async () => (await onBoard())[0], 25_000);
    expect(garageCase).toMatchObject({ township: 'chengguan', compound: 'hongqi-lane-12', step: 'open' });
    expect(garageCase.text.zh).toContain('2号楼');
    // The clear reaches the board through the uplink too (已恢复); then raise it again (counted on the
    // same open case), so there is a live alarm for the duty officer to acknowledge remotely.
    await waitFor('garage case recovered', async () => (await onBoard()).every((c) => c.gatewayState === 'recovered'), 25_000);
    demo.modbus.set(DEMO_UNITS.garageLevel, 'level', 36);
    const live = await waitFor('garage alarm raised again', async () => (await onBoard()).find((c) => c.gatewayState === 'alarming' && c.raiseCount > 1), 25_000);
    expect(live.caseId).toBe(garageCase.caseId);
    await board.workflow.step(live.caseId, { step: 'dispatched', to: '物业维修 / maintenance' }, 'duty-officer', live.version);
    await waitFor('the duty officer\'s acknowledge on the gateway', () => alarms.some((a) => a.source === 'garage-level' && a.transition === 'acknowledge' && a.by === 'duty-officer'), 25_000);
    demo.modbus.set(DEMO_UNITS.garageLevel, 'level', undefined);
  }, 60_000);

  it('internal points (decimals, unit codes) are used but not sent', () => {
    expect(seen.some((m) => m.source === 'garage-level' && (m.point === 'decimals' || m.point === 'unit_code'))).toBe(false);
  });
});
