// The township process's memory for bench:hostile, read the same way before and after the floods:
// after two full GCs and a settle, so what is counted is what the process holds, not garbage not yet
// collected. RSS is split into V8's heap, memory V8 knows of outside it (Buffers), glibc's main heap
// ([heap]) and other anonymous mappings (thread arenas, V8 pages): where a growth sits says what holds it.
import { readFileSync } from 'node:fs';

export const MEMORY_METHOD = 'process.memoryUsage() and /proc/self/smaps after gc(), 1 s settle, gc() (node --expose-gc); floods run in child processes, outside this RSS';

export interface MemoryFigures {
  readonly rssMB: number;
  readonly heapUsedMB: number;
  readonly externalMB: number;
  /** glibc's main arena (brk heap). */
  readonly mallocHeapMB: number;
  /** Anonymous mappings: thread arenas, V8 pages, large mapped allocations. */
  readonly anonymousMB: number;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function smapsRssKB(): { heap: number; anonymous: number } {
  let heap = 0;
  let anonymous = 0;
  let kind: 'heap' | 'anonymous' | 'other' = 'other';
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) kind = head[1] === '[heap]' ? 'heap' : head[1] === '' ? 'anonymous' : 'other';
    else if (line.startsWith('Rss:')) {
      const kb = parseInt(line.slice(4), 10);
      if (kind === 'heap') heap += kb;
      else if (kind === 'anonymous') anonymous += kb;
    }
  }
  return { heap, anonymous };
}

/** Memory after settling (see MEMORY_METHOD); `settleMs` 0 for the quick per-phase look. */
export async function settledMemory(settleMs = 1000): Promise<MemoryFigures> {
  gc();
  if (settleMs > 0) await new Promise((resolve) => setTimeout(resolve, settleMs));
  gc();
  const usage = process.memoryUsage();
  const maps = smapsRssKB();
  const mb = (bytes: number) => Math.round(bytes / 1e6);
  return { rssMB: mb(usage.rss), heapUsedMB: mb(usage.heapUsed), externalMB: mb(usage.external), mallocHeapMB: mb(maps.heap * 1024), anonymousMB: mb(maps.anonymous * 1024) };
}
