// Honest time with a fake clock: stamps taken before sync are held (telemetry) or flagged (alarms),
// re-based from the monotonic clock once the clock is good, and never come out as 1970.
import { describe, expect, it } from 'vitest';
import { HonestClock } from '../../../gateway/time/honest-clock.js';
import { placeStamp } from '../../../gateway/time/placement.js';
import { TimeSync } from '../../../gateway/time/time-sync.js';
import { silentLogger } from '../../../contract/logger.js';

const REAL = Date.UTC(2026, 10, 23, 9, 0, 0);

function fakeClock() {
  let wall = 3_000; // an RTC-less boot: the wall clock says 1970
  let mono = 10_000;
  const clock = new HonestClock({ wall: () => wall, mono: () => mono, epoch: 'boot-a' });
  return {
    clock,
    advance: (ms: number) => {
      wall += ms;
      mono += ms;
    },
    setWall: (ms: number) => (wall = ms),
  };
}

describe('placing stamps in time', () => {
  it('holds unsynced telemetry, then re-bases it from the monotonic clock when the clock syncs', () => {
    const { clock, advance, setWall } = fakeClock();
    const stamp = { ts: clock.now(), mono: clock.mono(), synced: clock.synced(), epoch: clock.epoch };
    expect(placeStamp(stamp, clock, clock.epoch, 'telemetry')).toEqual({ kind: 'hold' });
    advance(7_000); // 7 s later NTP answers
    setWall(REAL);
    clock.markSynced('ntp');
    expect(placeStamp(stamp, clock, clock.epoch, 'telemetry')).toEqual({ kind: 'rebased', ts: REAL - 7_000 });
  });

  it('sends an unsynced alarm flagged when its wall time is plausible, holds it when it reads 1970', () => {
    const { clock } = fakeClock();
    expect(placeStamp({ ts: 3_000, mono: 1, synced: false, epoch: clock.epoch }, clock, clock.epoch, 'alarm')).toEqual({ kind: 'hold' });
    expect(placeStamp({ ts: REAL, mono: 1, synced: false, epoch: clock.epoch }, clock, clock.epoch, 'alarm')).toEqual({ kind: 'flagged', ts: REAL });
  });

  it('never places a stamp from an earlier boot at 1970: telemetry is unplaceable, alarms go out at now, flagged', () => {
    const { clock, setWall } = fakeClock();
    setWall(REAL);
    clock.markSynced('ntp');
    const old = { ts: 5_000, mono: 4_000, synced: false, epoch: 'boot-before' };
    expect(placeStamp(old, clock, clock.epoch, 'telemetry')).toEqual({ kind: 'unplaceable' });
    expect(placeStamp(old, clock, clock.epoch, 'alarm')).toEqual({ kind: 'flagged', ts: REAL });
  });

  it('treats a "synced" stamp that reads 1970 as unsynced', () => {
    const { clock } = fakeClock();
    expect(placeStamp({ ts: 10, mono: 1, synced: true, epoch: clock.epoch }, clock, clock.epoch, 'telemetry')).toEqual({ kind: 'hold' });
  });
});

describe('TimeSync', () => {
  it('marks the clock synced when the NTP probe says yes, and not before', async () => {
    const { clock } = fakeClock();
    const answers: ('no' | 'yes')[] = ['no', 'no', 'yes'];
    const sync = new TimeSync({ clock, log: silentLogger(), pollMs: 5, probe: async () => answers.shift() ?? 'yes' });
    sync.start();
    expect(clock.synced()).toBe(false);
    await new Promise((r) => setTimeout(r, 100));
    sync.stop();
    expect(clock.synced()).toBe(true);
    expect(clock.via()).toBe('ntp');
    expect(answers).toHaveLength(0);
  });

  it('without timedatectl, does not trust a 1970 wall clock', async () => {
    const { clock } = fakeClock();
    const sync = new TimeSync({ clock, log: silentLogger(), pollMs: 5, probe: async () => 'unavailable' });
    sync.start();
    await new Promise((r) => setTimeout(r, 50));
    sync.stop();
    expect(clock.synced()).toBe(false);
  });
});
