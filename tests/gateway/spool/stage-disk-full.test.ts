// The spool stage on a real tmpfs that fills long before spool.maxBytes (issue 11, "Full disk"): while
// the disk refuses writes the durability barrier rejects (so a device gets no PUBACK), polled readings
// are counted as dropped, a fault alarm is raised at once, and it clears when space returns.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSiteConfig } from '../../../config/load-site.js';
import { Durability } from '../../../gateway/pipeline/durability.js';
import type { AlarmEvent, Measurement } from '../../../gateway/pipeline/types.js';
import { Stats } from '../../../contract/stats.js';
import { SpoolStage } from '../../../gateway/spool/spool-stage.js';
import { HonestClock } from '../../../gateway/time/honest-clock.js';
import { waitFor } from '../../helpers/wait.js';
import { mountTmpfs, type Tmpfs } from './tmpfs.js';
import { testContext, throwingEventBus } from '../../helpers/runtime-context.js';

const fs = mountTmpfs(1024);
const refused = 'refused' in fs ? fs.refused : undefined;
afterAll(() => {
  if (!('refused' in fs)) fs.unmount();
});

describe.skipIf(refused !== undefined)(`spool stage on a full disk${refused ? ` (skipped: ${refused})` : ''}`, () => {
  it('refuses to call data durable, counts the drops, and raises then clears the spool_write fault', async () => {
    const tmp = fs as Tmpfs;
    const yaml = `version: 1
gateway: { township: t1, compound: c1, id: gw-disk }
sources:
  - { id: meter-1, profile: eastron/sdm120, bus: meters, unit: 1, tags: { building: "1" } }
buses: [{ id: meters, type: tcp, host: 127.0.0.1, port: 1502 }]
spool: { dir: ${join(tmp.path, 'spool')}, maxBytes: 64MB, syncEvery: 20ms, segmentBytes: 256KB }
`;
    const loaded = parseSiteConfig('site.yaml', yaml);
    const events = throwingEventBus();
    const stats = new Stats();
    const clock = new HonestClock({ synced: true });
    const durability = new Durability();
    const context = testContext(loaded, { events, clock, stats, durability });
    const alarms: AlarmEvent[] = [];
    events.on('alarm', (a) => alarms.push(a));
    const stage = new SpoolStage(context);
    stage.start();
    let n = 0;
    const emit = () => {
      const m: Measurement = { source: 'meter-1', point: 'voltage', class: 'power', value: 230 + (n++ % 10) / 10, unit: 'V', ts: clock.now(), mono: clock.mono(), timeSynced: true, quality: 'good', tags: { township: 't1', compound: 'c1', gateway: 'gw-disk', source: 'meter-1' } };
      events.emit('measurement', m);
    };
    try {
      emit();
      await durability.barrier(); // a healthy disk: durable
      const writeAlarms = () => alarms.filter((a) => a.rule === 'spool_write').map((a) => a.transition);
      // Two outages: in each the disk refuses several writes, one fault is raised, and it clears once space returns.
      for (const outage of [1, 2]) {
        // Fill the file system, leaving less than one record's worth.
        const filler = join(tmp.path, 'filler');
        writeFileSync(filler, Buffer.alloc(Math.max(0, tmp.free() - 512)));
        // Until the disk has refused two barriers (a page's slack or a re-made reserve may let one batch through).
        const refusals: Error[] = [];
        for (let i = 0; i < 200 && refusals.length < 2; i++) {
          for (let k = 0; k < 50; k++) emit();
          const refusal = await durability.barrier().then(() => undefined, (error: Error) => error);
          if (refusal) refusals.push(refusal);
        }
        expect(refusals).toHaveLength(2);
        for (const refusal of refusals) expect(refusal.message).toMatch(/ENOSPC|SPOOL_WRITE_FAILED|failed/);
        expect(stats.counter('spool.append_failed', { lane: 'telemetry' })).toBeGreaterThan(1);
        expect(stats.counter('spool.dropped', { lane: 'telemetry', reason: 'write_failed' })).toBeGreaterThan(0);
        const raised = await waitFor('the spool_write fault', () => alarms.filter((a) => a.rule === 'spool_write' && a.transition === 'raise')[outage - 1]);
        expect(raised).toMatchObject({ level: 'fault', alarmId: 'gw-disk-spool_write' });
        // The fault names the file system's reason, in both languages.
        expect(raised.text.zh).toContain('ENOSPC');
        expect(raised.text.en).toContain('ENOSPC');
        // Space returns: writes go through again, the fault clears, and new data is durable.
        rmSync(filler);
        const cleared = await waitFor('the fault to clear', () => alarms.filter((a) => a.rule === 'spool_write' && a.transition === 'clear')[outage - 1], 20_000);
        expect(cleared).toMatchObject({ level: 'fault', alarmId: 'gw-disk-spool_write', state: 'cleared', text: { zh: expect.any(String), en: expect.any(String) } });
        expect(cleared.text.zh).not.toBe(raised.text.zh);
        expect(cleared.text.en).not.toBe(raised.text.en);
        expect(cleared.text.en).not.toContain('ENOSPC');
        emit();
        await durability.barrier();
        // One fault for the whole outage, however many writes failed in it; cleared once.
        expect(writeAlarms()).toEqual(Array.from({ length: outage }, () => ['raise', 'clear']).flat());
      }
    } finally {
      await stage.stop();
    }
  });
});
