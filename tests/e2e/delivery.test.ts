// Issue 11, in CI: the bench:delivery harness on its short schedule (bench/delivery/options.ts QUICK_PLAN:
// 4 gateway SIGKILLs, a cloud-ingest SIGKILL, a mosquitto restart and SIGKILL, the database down 8 s and
// the spool's tmpfs full for 6 s) against real processes: the gateway and cloud-ingest as `node --import
// tsx` children, mosquitto, VictoriaMetrics. Counts at the edges only: every number the sensor got a
// PUBACK for must be in the database exactly once, and every acknowledged alarm toggle's event must be in
// the township's alarm store exactly once. Needs root (tmpfs). Seeded: set DELIVERY_SEED to try another.
// "Doubled" is any acknowledged number stored at more than one timestamp, a device resend included: the
// sensor sends the time it measured (profile `timestamp`), so a copy resent after a gateway crash (fsync'd,
// killed before its PUBACK) folds into the first one. Identical samples (the same time and value twice,
// e.g. one batch written by both workers) are reported apart: InfluxDB overwrites them.
import { afterAll, describe, expect, it } from 'vitest';
import { deliveryOptions, QUICK_PLAN } from '../../bench/delivery/options.js';
import { Resources } from '../../bench/delivery/resources.js';
import { runDelivery } from '../../bench/delivery/run.js';
import type { ShapeResult } from '../../bench/delivery/shape-run.js';

const SEED = Number(process.env.DELIVERY_SEED ?? 20261202);

function expectFaultsExecuted(r: ShapeResult): void {
  expect(r.faults.gatewaySigkill).toBeGreaterThanOrEqual(QUICK_PLAN.gatewayKills);
  expect(r.faults.ingestSigkill).toBeGreaterThanOrEqual(QUICK_PLAN.ingestKills);
  expect(r.faults.dbDownS).toBeGreaterThanOrEqual(QUICK_PLAN.dbDownS - 1);
  expect(r.faults.diskFullS).toBeGreaterThanOrEqual(QUICK_PLAN.diskFullS - 1);
  if (r.shape === 'mosquitto') {
    expect(r.faults.mosquittoRestart).toBe(QUICK_PLAN.mosquittoRestarts);
    expect(r.faults.mosquittoSigkill).toBe(QUICK_PLAN.mosquittoKills);
  }
}

describe('delivery under faults (bench:delivery --quick)', () => {
  // Also on a timeout: every process the harness started is killed and the tmpfs unmounted.
  const resources = new Resources();
  afterAll(() => resources.release(), 60_000);

  it('loses and doubles no acknowledged measurement or alarm event, in both township shapes', { timeout: 420_000 }, async () => {
    const progress = (line: string) => process.stderr.write(`delivery: ${line}\n`);
    const report = await runDelivery(deliveryOptions({ shapes: ['mosquitto', 'embedded'], seed: SEED, quick: true }), resources, progress);
    console.log(JSON.stringify({ delivery: Object.fromEntries(Object.entries(report.shapes).map(([shape, r]) => [shape, { measurements: r.measurements, alarms: { ...r.alarms, definition: undefined }, faults: r.faults, drainS: r.drainS, unreceiptedAtEnd: r.unreceiptedAtEnd }])) }));
    for (const r of Object.values(report.shapes)) {
      expectFaultsExecuted(r);
      // The run really carried data and alarms (a harness that acknowledged nothing would lose nothing).
      expect(r.measurements.acknowledged).toBeGreaterThan(QUICK_PLAN.durationS * 50);
      // At least two raise/clear pairs (a toggle waits for its PUBACK, up to 10 s, before the next).
      expect(r.alarms.transitionsAcknowledged).toBeGreaterThanOrEqual(4);
      expect({ shape: r.shape, lost: r.measurements.lost, lostRanges: r.measurements.lostRanges, doubled: r.measurements.doubled }).toEqual({ shape: r.shape, lost: 0, lostRanges: [], doubled: 0 });
      expect({ shape: r.shape, alarmsLost: r.alarms.lost, lostSample: r.alarms.lostSample, alarmsDoubled: r.alarms.doubled }).toEqual({ shape: r.shape, alarmsLost: 0, lostSample: [], alarmsDoubled: 0 });
    }
  });
});
