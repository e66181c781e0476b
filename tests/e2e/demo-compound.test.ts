// The README's main command in miniature: the demo compound's simulated devices and the gateway,
// started in-process on a free port; every source must deliver decoded measurements.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoCompound, type DemoCompound } from '../../gateway/demo/demo-compound.js';
import { LiveView } from '../../gateway/demo/live-view.js';
import type { Measurement } from '../../gateway/pipeline/types.js';
import { silentLogger } from '../../gateway/shared/logger.js';
import { freePort, tempDir } from '../helpers/peers.js';

describe('demo compound', () => {
  let demo: DemoCompound;
  let view: LiveView;
  const seen: Measurement[] = [];
  const spool = tempDir('demo-spool');

  beforeAll(async () => {
    demo = await startDemoCompound({ log: silentLogger(), modbusPort: await freePort(), spoolDir: spool.path });
    view = new LiveView(demo.runtime.context.events, () => undefined);
    demo.runtime.context.events.on('measurement', (m) => seen.push(m));
    const deadline = Date.now() + 15_000;
    while (view.sourcesSeen().length < demo.runtime.context.sources.length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
    }
  });

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

  it('internal points (decimals, unit codes) are used but not sent', () => {
    expect(seen.some((m) => m.source === 'garage-level' && (m.point === 'decimals' || m.point === 'unit_code'))).toBe(false);
  });
});
