// The hostile corpus (issue 13): seeded, so every run sends the same cases. Payload-level cases (bit
// flips, truncation, bad gzip, gzip bombs, oversize lines, duplicate ids) are one message each; line-level
// cases (NaN/Inf, bad escapes, 1970/2100 timestamps, foreign identity tags, look-alike labels, the ReDoS
// line) are packed many to a batch, each line one case. Used by tests/hostile/corpus.test.ts and
// `npm run bench:hostile`.
import { gzipSync } from 'node:zlib';
import { seededRandom } from '../seeded-random.js';

export interface CorpusCase {
  readonly category: string;
  readonly batchId: string;
  readonly payload: Buffer;
  /** Cases this message carries (one per line for packed line-level cases). */
  readonly cases: number;
}


export interface CorpusCounts {
  readonly bitFlips: number;
  readonly truncations: number;
  readonly badGzip: number;
  readonly gzipBombs: number;
  readonly oversize: number;
  readonly duplicateIds: number;
  /** Line-level cases, packed `linesPerBatch` to a message. */
  readonly lineCases: number;
  readonly linesPerBatch: number;
}

export const FULL_CORPUS: CorpusCounts = { bitFlips: 1200, truncations: 800, badGzip: 500, gzipBombs: 20, oversize: 150, duplicateIds: 330, lineCases: 7300, linesPerBatch: 50 };

/** A valid line as a gateway sends it (identity tags are the township's to set). */
export function validLine(random: () => number, ts: number, source = `m-${Math.floor(random() * 20)}`): string {
  return `power,building=${Math.floor(random() * 9)},source=${source} voltage=${(220 + random() * 20).toFixed(1)},current=${(random() * 10).toFixed(2)} ${ts}`;
}

/** The line that once stalled the township 71 s: one field of many digits ending in x. */
export function redosLine(ts: number, digits = 60_000): string {
  return `power,source=redos v=${'1'.repeat(digits)}x ${ts}`;
}

/** Line-level mutations: each returns one line that ingest must reject (or store harmlessly). */
const LINE_MUTATIONS: readonly ((random: () => number, ts: number) => string)[] = [
  (_r, ts) => `power,source=m1 v=NaN ${ts}`,
  (_r, ts) => `power,source=m1 v=Inf ${ts}`,
  (_r, ts) => `power,source=m1 v=1e309 ${ts}`,
  (_r, ts) => `power,source=m1 v=-1e309 ${ts}`,
  (_r, ts) => `power,source=m1 v=1e308 ${ts}`,
  (_r, ts) => `power,source=m1 v=99999999999999999999i ${ts}`,
  (_r, ts) => `power,source=m1 v=-1u ${ts}`,
  (_r, ts) => `power,source=m\\ 1\\ v=1 ${ts}`,
  (_r, ts) => `power,source=m1 note="unterminated ${ts}`,
  (_r, ts) => `power,source=m1\\ v=1 ${ts}\\`,
  (_r, ts) => `power,source=m1 note="a\\"b\\\\",v=1 ${ts}`,
  (_r, ts) => `power,source=m1,,building=1 v=1 ${ts}`,
  (_r, ts) => `power,source=m1 v=1,,w=2 ${ts}`,
  () => `power,source=m1 v=1 0`,
  () => `power,source=m1 v=1 86400000`,
  () => `power,source=m1 v=1 4102444800000`,
  () => `power,source=m1 v=1 99999999999999999`,
  (_r, ts) => `power,source=m1,township=evil v=1 ${ts}`,
  (_r, ts) => `power,source=m1,gateway=someone-else v=1 ${ts}`,
  (_r, ts) => `power,source=m1,compound=elsewhere,township=evil v=1 ${ts}`,
  (_r, ts) => `power,source=m1,Township=evil v=1 ${ts}`,
  (_r, ts) => `power,source=m1,township\t=evil v=1 ${ts}`,
  (_r, ts) => `power,source=m1,t\u03bfwnship=evil v=1 ${ts}`,
  (_r, ts) => `power,source=m1,building=3\u0007 v=1 ${ts}`,
  (_r, ts) => `power,source=m1,building=\u202e3 v=1 ${ts}`,
  (_r, ts) => `cpu,source=m1 v=1 ${ts}`,
  (_r, ts) => `power v=1 ${ts}`,
  (_r, ts) => `power,source=m1 ${ts}`,
  (_r, ts) => `power,source=m1 v=1,v=2 ${ts}`,
  (r, ts) => `power,source=m1 v=${'9'.repeat(1 + Math.floor(r() * 400))}x ${ts}`,
  (r, ts) => validLine(r, ts).replace(/ /g, '  '),
  (r, ts) => {
    // A random byte flipped in a valid line.
    const line = validLine(r, ts);
    const i = Math.floor(r() * line.length);
    return line.slice(0, i) + String.fromCharCode(Math.floor(r() * 256)) + line.slice(i + 1);
  },
  (r, ts) => validLine(r, ts), // valid lines sprinkled in: the batch is not all rejects
];

export function* hostileCorpus(seed: number, counts: CorpusCounts = FULL_CORPUS, now: number = Date.now()): Generator<CorpusCase> {
  const random = seededRandom(seed);
  let n = 0;
  const id = (category: string) => `${category}-${seed}-${n++}`;
  const ts = () => now - 3_600_000 + Math.floor(random() * 3_600_000);
  const validBatch = () => gzipSync(Buffer.from(Array.from({ length: 20 }, () => validLine(random, ts())).join('\n')));
  for (let i = 0; i < counts.bitFlips; i++) {
    const payload = Buffer.from(validBatch());
    const flips = 1 + Math.floor(random() * 8);
    for (let f = 0; f < flips; f++) payload[Math.floor(random() * payload.length)]! ^= 1 << Math.floor(random() * 8);
    yield { category: 'bit-flip', batchId: id('flip'), payload, cases: 1 };
  }
  for (let i = 0; i < counts.truncations; i++) {
    const payload = validBatch();
    yield { category: 'truncation', batchId: id('trunc'), payload: payload.subarray(0, Math.floor(random() * payload.length)), cases: 1 };
  }
  for (let i = 0; i < counts.badGzip; i++) {
    const payload = Buffer.alloc(3 + Math.floor(random() * 2000));
    for (let b = 0; b < payload.length; b++) payload[b] = Math.floor(random() * 256);
    if (random() < 0.5) payload.set([0x1f, 0x8b, 0x08], 0); // a gzip header over garbage
    yield { category: 'bad-gzip', batchId: id('badgz'), payload, cases: 1 };
  }
  // One bomb payload (17 MiB of newlines → about 17 KB), over the 16 MiB limit after decompression, and
  // one just under it (15 MiB of newlines: past the line limit).
  const bomb = counts.gzipBombs > 0 ? gzipSync(Buffer.alloc(17 * 1024 * 1024, 10), { level: 9 }) : Buffer.alloc(0);
  const nearBomb = counts.gzipBombs > 0 ? gzipSync(Buffer.alloc(15 * 1024 * 1024, 10), { level: 9 }) : Buffer.alloc(0);
  for (let i = 0; i < counts.gzipBombs; i++) yield { category: 'gzip-bomb', batchId: id('bomb'), payload: i % 2 ? nearBomb : bomb, cases: 1 };
  for (let i = 0; i < counts.oversize; i++) {
    const size = 64 * 1024 + Math.floor(random() * 400 * 1024);
    const lines = [validLine(random, ts()), `power,source=big note="${'o'.repeat(size)}" ${ts()}`, validLine(random, ts())];
    yield { category: 'oversize-line', batchId: id('big'), payload: gzipSync(Buffer.from(lines.join('\n'))), cases: 1 };
  }
  for (let i = 0; i < counts.duplicateIds; i++) {
    // The same id twice with different content: the second is dropped by dedup, never doubled.
    const batchId = `dup-${seed}-${Math.floor(i / 2)}`;
    yield { category: 'duplicate-id', batchId, payload: validBatch(), cases: 1 };
  }
  let left = counts.lineCases;
  while (left > 0) {
    const size = Math.min(left, counts.linesPerBatch);
    const lines: string[] = [];
    for (let l = 0; l < size; l++) lines.push(LINE_MUTATIONS[Math.floor(random() * LINE_MUTATIONS.length)]!(random, ts()));
    if (left === counts.lineCases) lines[0] = redosLine(ts());
    yield { category: 'line-mutation', batchId: id('lines'), payload: gzipSync(Buffer.from(lines.join(random() < 0.5 ? '\n' : '\r\n'))), cases: size };
    left -= size;
  }
}
