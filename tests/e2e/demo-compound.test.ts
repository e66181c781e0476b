// The README's main command in miniature: the demo compound's simulated devices and the gateway,
// started in-process on a free port; every source must deliver decoded measurements.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoCompound, type DemoCompound } from '../../gateway/demo/demo-compound.js';
import { LiveView } from '../../gateway/demo/live-view.js';
import type { AlarmEvent, Measurement } from '../../gateway/pipeline/types.js';
import { ACS_MINOR } from '../../gateway/sim/access-controller.js';
import { DEMO_LINES, DEMO_UNITS } from '../../gateway/demo/storyline.js';
import { silentLogger } from '../../gateway/shared/logger.js';
import { freePort, tempDir } from '../helpers/peers.js';

async function until(condition: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('demo compound', () => {
  let demo: DemoCompound;
  let view: LiveView;
  const seen: Measurement[] = [];
  const alarms: AlarmEvent[] = [];
  const spool = tempDir('demo-spool');

  beforeAll(async () => {
    demo = await startDemoCompound({ log: silentLogger(), dir: spool.path, story: false, ports: { modbus: await freePort(), broker: await freePort(), console: await freePort() } });
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

  it('water on the garage ramp sounds the siren, and it stops when the water drains', async () => {
    const siren = () => demo.gpio.outputLevel(27);
    expect(siren()).toBe(0);
    demo.modbus.set(DEMO_UNITS.garageLevel, 'level', 36);
    await until(() => alarms.some((a) => a.source === 'garage-level' && a.level === 'alarm' && a.transition === 'raise'));
    await until(() => siren() === 1);
    expect(view.render()).toContain('告警/ALARM [alarm] raised garage-level.level');
    demo.modbus.set(DEMO_UNITS.garageLevel, 'level', undefined);
    await until(() => alarms.some((a) => a.source === 'garage-level' && a.level === 'alarm' && a.transition === 'clear'));
    await until(() => siren() === 0);
  });

  it('internal points (decimals, unit codes) are used but not sent', () => {
    expect(seen.some((m) => m.source === 'garage-level' && (m.point === 'decimals' || m.point === 'unit_code'))).toBe(false);
  });
});
