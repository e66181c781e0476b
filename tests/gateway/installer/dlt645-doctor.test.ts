// `lastmile doctor` on a DL/T 645 bus: a healthy meter passes with its reading, a silent one and one that
// answers with an error reply fail with advice, all over a socat pty pair against the meter simulator.
import { afterEach, describe, expect, it } from 'vitest';
import { parseSiteConfig } from '../../../config/load-site.js';
import { ProfileIndex } from '../../../gateway/devices/profile-index.js';
import { checkSerialPorts } from '../../../gateway/installer/doctor-checks.js';
import { checkSources } from '../../../gateway/installer/doctor-sources.js';
import { Dlt645MeterSimulator } from '../../../gateway/sim/dlt645-meter.js';
import { siteConfigText } from '../drivers/modbus/harness.js';
import { startPtyPair } from '../drivers/serial/pty-pair.js';

const SINGLE = ProfileIndex.load().get('generic/dlt645-single-phase')!;
const [OK, SILENT, REFUSING] = ['000012345678', '000012345679', '000012345680'];

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

describe('doctor with DL/T 645 meters', () => {
  it('passes a meter that reads sensibly and fails a silent one and a refusing one, each with advice', async () => {
    const pair = await startPtyPair('dlt645-doctor');
    cleanups.push(() => pair.stop());
    const sim = new Dlt645MeterSimulator([OK, SILENT, REFUSING].map((address) => ({ address, profile: SINGLE, scenario: () => ({ voltage: 222.4 }) })));
    await sim.openSerial(pair.a);
    cleanups.push(() => sim.stop());
    sim.setSilent(SILENT, true);
    sim.refuse(REFUSING, '02010100', 0x02);
    const loaded = parseSiteConfig(
      '/tmp/dlt645-doctor.yaml',
      siteConfigText({
        buses: [{ id: 'meters', type: 'dlt645', port: pair.b, timeout: '1s' }],
        sources: [OK, SILENT, REFUSING].map((meter, i) => ({ id: `flat-${i + 1}`, profile: SINGLE.id, bus: 'meters', meter })),
      }),
    );
    const results = await checkSources(loaded);
    expect(results.map((r) => r.status)).toEqual(['pass', 'fail', 'fail']);
    expect(results[0]!.detail.en).toContain('voltage = 222.4 V');
    expect(results[1]!.detail.en).toContain(`no answer (meter ${SILENT} DI 02010100)`);
    expect(results[1]!.detail.zh).toContain('2400 8E1');
    expect(results[2]!.detail.en).toContain('refused: 0x02 no such data');
    const ports = await checkSerialPorts(loaded.config);
    expect(ports).toEqual([expect.objectContaining({ status: 'pass', title: expect.objectContaining({ en: `Serial port ${pair.b} (bus meters)` }) })]);
  }, 60_000);
});
