// The dedup journal groups the ids recorded in one tick into one write, and once() resolves only after
// that write: a receipt (sent when once() resolves) never names an id the journal does not hold yet.
// Concurrent copies of an id share one run; the journal is compacted past twice the capacity, not
// before, and stays 0600; a journal that cannot be written fails the once() of its ids.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DedupStore } from '../../cloud-ingest/ingest/dedup.js';
import { tempDir } from '../helpers/peers.js';

describe('dedup journal', () => {
  it('holds every id of a tick once once() resolves, and a restart remembers them', async () => {
    const dir = tempDir('dedup-journal');
    const file = join(dir.path, 'd.journal');
    const store = new DedupStore(1000, file);
    const keys = Array.from({ length: 50 }, (_, i) => `gw-${i}/t/b${i}`);
    const journalledAtResolve: boolean[] = [];
    await Promise.all(
      keys.map((key) =>
        store.once(key, async () => undefined).then(() => journalledAtResolve.push(readFileSync(file, 'utf8').split('\n').includes(key))),
      ),
    );
    expect(journalledAtResolve).toEqual(keys.map(() => true));
    expect(readFileSync(file, 'utf8').split('\n').filter((l) => l !== '')).toEqual(keys);
    const restarted = new DedupStore(1000, file);
    expect(keys.every((key) => restarted.has(key))).toBe(true);
    expect(await restarted.once(keys[0]!, async () => undefined)).toBe(false);
    dir.remove();
  });

  it('records nothing for a failed write, and keeps journalling after a compaction', async () => {
    const dir = tempDir('dedup-compact');
    const file = join(dir.path, 'd.journal');
    const store = new DedupStore(100, file);
    await expect(store.once('bad', async () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
    // 250 ids pass 2 x capacity: the journal is rewritten with the newest 100, then appended to again.
    for (let i = 0; i < 250; i++) await store.once(`k${i}`, async () => undefined);
    const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
    expect(lines).not.toContain('bad');
    expect(lines.at(-1)).toBe('k249');
    expect(lines.length).toBeLessThanOrEqual(200);
    const restarted = new DedupStore(100, file);
    expect(restarted.has('k249') && restarted.has('k150') && !restarted.has('k100')).toBe(true);
    dir.remove();
  });

  it('runs concurrent copies of one id once: the second waits for the first and is told it was done', async () => {
    const store = new DedupStore(100, undefined);
    let runs = 0;
    let finish: () => void = () => undefined;
    const first = store.once('gw/t/b1', () => {
      runs++;
      return new Promise<void>((resolve) => (finish = resolve));
    });
    const second = store.once('gw/t/b1', async () => {
      runs++;
    });
    let secondDone = false;
    void second.then(() => (secondDone = true));
    await new Promise((r) => setImmediate(r));
    expect(secondDone).toBe(false);
    finish();
    expect(await first).toBe(true);
    expect(await second).toBe(false);
    expect(runs).toBe(1);
  });

  it('compacts the journal only once it holds more than twice the capacity, and keeps it private (0600)', async () => {
    const dir = tempDir('dedup-threshold');
    const file = join(dir.path, 'd.journal');
    const store = new DedupStore(10, file);
    const lines = () => readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
    for (let i = 0; i < 20; i++) await store.once(`k${i}`, async () => undefined);
    expect(lines()).toHaveLength(20);
    await store.once('k20', async () => undefined);
    expect(lines()).toEqual(Array.from({ length: 10 }, (_, i) => `k${i + 11}`));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    await store.once('k21', async () => undefined);
    expect(lines()).toHaveLength(11);
    dir.remove();
  });

  it('a journal that cannot be written fails the once() of its ids', async () => {
    const dir = tempDir('dedup-unwritable');
    const store = new DedupStore(10, join(dir.path, 'missing-dir', 'd.journal'));
    await expect(store.once('k1', async () => undefined)).rejects.toThrow(/ENOENT/);
    dir.remove();
  });
});
