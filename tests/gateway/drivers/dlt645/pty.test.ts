// The DL/T 645 driver in a real gateway runtime against the meter simulator over a socat pty pair (a real
// serial line minus baud and parity, which a pty ignores): readings decoded to measurements with units,
// follow-up frames, a dead meter next to a healthy one, an error reply, and time sync only while synced.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LiveState } from '../../../../gateway/console/live-state.js';
import { ProfileIndex } from '../../../../gateway/devices/profile-index.js';
import { Dlt645MeterSimulator } from '../../../../gateway/sim/dlt645-meter.js';
import type { Clock } from '../../../../gateway/pipeline/types.js';
import { tempDir } from '../../../helpers/peers.js';
import { waitFor } from '../../../helpers/wait.js';
import { latest, startGateway, type Recorded } from '../modbus/harness.js';
import { startPtyPair, type PtyPair } from '../serial/pty-pair.js';

const profiles = ProfileIndex.load();
const SINGLE = profiles.get('generic/dlt645-single-phase')!;
const THREE = profiles.get('generic/dlt645-three-phase')!;
const FLAT = '000012345678';
const STAIRWELL = '000000000101';
const DEAD = '000012345679';
const WAIT_MS = 30_000;

/** Pinned values, so what the gateway decodes can be compared exactly. */
const flatValues = { import_energy: 1234.56, voltage: 221.3, current: 5.123, active_power: 1.1337, power_factor: 0.998, frequency: 50.01, run_status_1: 0 };

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

async function startBus(meters: { address: string; threePhase?: boolean }[], bus: Record<string, unknown> = {}, clock?: Clock): Promise<{ pair: PtyPair; sim: Dlt645MeterSimulator; gw: Recorded }> {
  const pair = await startPtyPair('dlt645');
  cleanups.push(() => pair.stop());
  const sim = new Dlt645MeterSimulator(meters.map((m) => ({ address: m.address, profile: m.threePhase ? THREE : SINGLE, scenario: () => ({}) })));
  await sim.openSerial(pair.a);
  cleanups.push(() => sim.stop());
  for (const [point, value] of Object.entries(flatValues)) sim.set(FLAT, point, value);
  const gw = await startGateway(
    {
      buses: [{ id: 'meters', type: 'dlt645', port: pair.b, timeout: '1s', ...bus }],
      sources: meters.map((m, i) => ({ id: `meter-${i + 1}`, profile: m.threePhase ? THREE.id : SINGLE.id, bus: 'meters', meter: m.address, poll: '500ms' })),
    },
    clock ? { clock } : {},
  );
  cleanups.push(() => gw.stop());
  return { pair, sim, gw };
}

describe('DL/T 645 driver over a pty pair', () => {
  it('decodes a household meter and a stairwell meter into measurements with units', async () => {
    const { sim, gw } = await startBus([{ address: FLAT }, { address: STAIRWELL, threePhase: true }]);
    sim.set(STAIRWELL, 'current_c', -0.12);
    await waitFor('both meters decoded', () => latest(gw, 'meter-1', 'frequency') && latest(gw, 'meter-2', 'current_c'), WAIT_MS);
    expect(latest(gw, 'meter-1', 'import_energy')).toMatchObject({ value: 1234.56, unit: 'kWh', class: 'power', quality: 'good' });
    expect(latest(gw, 'meter-1', 'voltage')).toMatchObject({ value: 221.3, unit: 'V' });
    expect(latest(gw, 'meter-1', 'current')).toMatchObject({ value: 5.123, unit: 'A' });
    expect(latest(gw, 'meter-1', 'active_power')).toMatchObject({ value: 1.1337, unit: 'kW' });
    expect(latest(gw, 'meter-1', 'power_factor')).toMatchObject({ value: 0.998 });
    expect(latest(gw, 'meter-1', 'frequency')).toMatchObject({ value: 50.01, unit: 'Hz' });
    expect(latest(gw, 'meter-1', 'run_status_1')).toMatchObject({ value: 0 });
    expect(latest(gw, 'meter-2', 'current_c')).toMatchObject({ value: -0.12, unit: 'A' });
    expect(gw.counter('dlt645.crc', { source: 'meter-1' }) + gw.counter('dlt645.timeout', { source: 'meter-1' })).toBe(0);
  }, 90_000);

  it('follows answers split into follow-up frames (0x12)', async () => {
    const { sim, gw } = await startBus([{ address: FLAT }]);
    sim.splitAnswers(FLAT, 1);
    await waitFor('follow-up requests', () => sim.followUpsTo(FLAT) >= 3, WAIT_MS);
    const after = gw.readings.length;
    await waitFor('a reading after the split', () => gw.readings.slice(after).some((r) => r.values.has('import_energy')), WAIT_MS);
    // Each 4-byte energy takes its first byte plus three follow-ups, and nothing is garbled.
    expect(sim.followUpsTo(FLAT)).toBeGreaterThanOrEqual(3);
    expect(gw.counter('dlt645.short_frame', { source: 'meter-1' }) + gw.counter('dlt645.crc', { source: 'meter-1' })).toBe(0);
    expect(latest(gw, 'meter-1', 'import_energy')).toMatchObject({ value: 1234.56, unit: 'kWh' });
    expect(latest(gw, 'meter-1', 'current')).toMatchObject({ value: 5.123, unit: 'A' });
  }, 90_000);

  it('a dead meter next to a healthy one costs at most one timeout per cycle, goes offline, and comes back', async () => {
    const { sim, gw } = await startBus([{ address: FLAT }, { address: DEAD }]);
    sim.setSilent(DEAD, true);
    await waitFor('the dead meter offline', () => gw.statuses.some((s) => s.source === 'meter-2' && !s.online), WAIT_MS);
    await waitFor('a few more complete healthy cycles', () => gw.readings.filter((r) => r.source === 'meter-1' && r.values.size === 13).length >= 8, WAIT_MS);
    const healthyCycles = gw.readings.filter((r) => r.source === 'meter-1').length;
    const deadRequests = sim.requestsTo(DEAD);
    const deadTimeouts = gw.counter('dlt645.timeout', { source: 'meter-2' });
    // From below: it was asked, and every question cost a timeout (silence is never retried).
    expect(deadRequests).toBeGreaterThanOrEqual(3);
    expect(deadTimeouts).toBeGreaterThanOrEqual(deadRequests - 1); // the last one may still be waiting
    expect(deadTimeouts).toBeLessThanOrEqual(deadRequests);
    // From above: one request per cycle at most (a profile of 13 items would cost 13 without the break), and
    // backed off, so no more cycles than the healthy meter had.
    expect(deadRequests).toBeLessThanOrEqual(healthyCycles + 1);
    // The healthy meter kept being read in full beside it, and never went offline.
    expect(gw.statuses.filter((st) => st.source === 'meter-1' && !st.online)).toEqual([]);

    sim.setSilent(DEAD, false);
    sim.set(DEAD, 'voltage', 219.9);
    await waitFor('the meter back online', () => gw.statuses.some((s) => s.source === 'meter-2' && s.online), WAIT_MS);
    await waitFor('its voltage read again', () => latest(gw, 'meter-2', 'voltage')?.value === 219.9, WAIT_MS);
  }, 90_000);

  it('an error reply becomes a counted fault naming the meter, and the other items still read', async () => {
    const { sim, gw } = await startBus([{ address: FLAT }]);
    await waitFor('first reading', () => latest(gw, 'meter-1', 'voltage'), WAIT_MS);
    sim.refuse(FLAT, '02010100', 0x02);
    await waitFor('the refusal counted', () => gw.counter('dlt645.error_reply', { source: 'meter-1' }) >= 2, WAIT_MS);
    const fault = gw.faults.find((f) => f.source === 'meter-1' && f.point === 'voltage');
    expect(fault).toMatchObject({ code: 'meter_error_reply', raw: 2, class: 'power' });
    expect(fault!.text.en).toContain(FLAT);
    expect(fault!.text.zh).toContain(FLAT);
    const logged = gw.logs.filter((l) => l.msg === 'meter refused a data item (logged once per DI)');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ meter: FLAT, di: '02010100', errorCode: 2, source: 'meter-1' });
    expect(String(logged[0]!.error)).toContain('no such data');
    // The meter answered, so it stays online and its other items keep coming.
    const after = gw.readings.length;
    await waitFor('more readings without voltage', () => gw.readings.slice(after).some((r) => r.source === 'meter-1' && r.values.has('import_energy') && !r.values.has('voltage')), WAIT_MS);
    expect(gw.statuses.filter((s) => s.source === 'meter-1' && !s.online)).toEqual([]);
    expect(gw.counter('dlt645.timeout', { source: 'meter-1' })).toBe(0);
    // The installer console shows the refusals beside the meter.
    const view = new LiveState(gw.runtime.context).snapshot().find((v) => v.id === 'meter-1');
    expect(view?.counters.error_reply).toBeGreaterThanOrEqual(2);
  }, 90_000);

  it('a dropped line (adapter unplugged) is counted, the meter goes offline, and both come back with the port', async () => {
    // Links in a dir of our own: a pair started on given paths leaves the dir alone when it stops.
    const dir = tempDir('dlt645-drop');
    cleanups.push(async () => dir.remove());
    const paths = { a: join(dir.path, 'a'), b: join(dir.path, 'b') };
    const pair = await startPtyPair('dlt645-drop', paths);
    let current = pair;
    cleanups.push(() => current.stop());
    let sim = new Dlt645MeterSimulator([{ address: FLAT, profile: SINGLE, scenario: () => ({ voltage: 230.1 }) }]);
    await sim.openSerial(pair.a);
    const gw = await startGateway({
      buses: [{ id: 'meters', type: 'dlt645', port: pair.b, timeout: '1s' }],
      sources: [{ id: 'meter-1', profile: SINGLE.id, bus: 'meters', meter: FLAT, poll: '500ms' }],
    });
    cleanups.push(() => gw.stop());
    cleanups.push(() => sim.stop());
    await waitFor('first reading', () => latest(gw, 'meter-1', 'voltage')?.value === 230.1, WAIT_MS);

    await sim.stop();
    await pair.stop(); // the pty links vanish, as /dev/ttyUSB1 does when the adapter is pulled
    await waitFor('the meter offline', () => gw.statuses.some((s) => s.source === 'meter-1' && !s.online), WAIT_MS);
    const offline = gw.statuses.find((s) => s.source === 'meter-1' && !s.online)!;
    expect(['connection', 'timeout']).toContain(offline.lastError?.kind);
    expect(gw.counter('dlt645.connection', { source: 'meter-1' }) + gw.counter('dlt645.port_error', { bus: 'meters' })).toBeGreaterThanOrEqual(1);

    current = await startPtyPair('dlt645-drop', paths);
    sim = new Dlt645MeterSimulator([{ address: FLAT, profile: SINGLE, scenario: () => ({ voltage: 229.7 }) }]);
    await sim.openSerial(current.a);
    await waitFor('the meter back online', () => gw.statuses.filter((s) => s.source === 'meter-1').at(-1)?.online === true, 60_000);
    await waitFor('fresh readings', () => latest(gw, 'meter-1', 'voltage')?.value === 229.7, WAIT_MS);
  }, 120_000);

  it('broadcasts the time only while the gateway clock is synced, as local time in the bus zone', async () => {
    const wall = Date.UTC(2026, 11, 2, 1, 2, 3); // 09:02:03 in Asia/Shanghai
    // Not a HonestClock: the runtime marks those synced when the host says NTP is, and this test decides.
    let synced = false;
    const clock: Clock = { now: () => wall, mono: () => performance.now(), synced: () => synced };
    const { sim, gw } = await startBus([{ address: FLAT }], { timeSync: '200ms' }, clock);
    await waitFor('time sync held a few times', () => gw.counter('dlt645.time_sync_held', { bus: 'meters' }) >= 2 && gw.readings.length > 0, WAIT_MS);
    expect(sim.timeSyncs).toEqual([]);
    expect(gw.counter('dlt645.time_sync', { bus: 'meters' })).toBe(0);
    synced = true;
    await waitFor('a time sync broadcast', () => sim.timeSyncs.length >= 1, WAIT_MS);
    expect(sim.timeSyncs[0]).toEqual({ year: 2026, month: 12, day: 2, hour: 9, minute: 2, second: 3 });
    expect(gw.counter('dlt645.time_sync', { bus: 'meters' })).toBeGreaterThanOrEqual(1);
    // Meters stay readable around broadcasts (one transaction at a time: no collision with a read).
    const after = gw.readings.length;
    await waitFor('readings after sync', () => gw.readings.length > after + 2, WAIT_MS);
    expect(gw.counter('dlt645.crc', { source: 'meter-1' })).toBe(0);
  }, 90_000);
});
