// What a driver learned from one poll: words and bits by function code and wire address, kept as the
// blocks that were read. Points are sliced out of it by address, so a coalesced read and a per-point read
// decode the same way. Blocks, not a map per register: a poll at saturation stores thousands of registers
// a second, and a map entry for each was a large share of the gateway's allocation (issue 12).
import type { RawValue } from '../pipeline/types.js';
import type { ResolvedPoint } from './resolve.js';

interface Block<V> {
  readonly fn: number;
  readonly address: number;
  readonly values: readonly V[];
}

export class RegisterImage {
  private readonly words: Block<number>[] = [];
  private readonly bits: Block<boolean>[] = [];

  /** Stores registers (function 3/4) read from `address` onward. */
  setWords(fn: 3 | 4, address: number, words: readonly number[]): void {
    this.words.push({ fn, address, values: words });
  }

  /** Stores coils/discrete inputs (function 1/2) read from `address` onward. */
  setBits(fn: 1 | 2, address: number, bits: readonly boolean[]): void {
    this.bits.push({ fn, address, values: bits });
  }

  /** Raw values of the points fully present in the image; points with any missing register are left out. */
  valuesFor(points: readonly ResolvedPoint[]): Map<string, RawValue> {
    const values = new Map<string, RawValue>();
    for (const point of points) {
      if (point.function === 1 || point.function === 2) {
        const bit = valueAt(this.bits, point.function, point.address);
        if (bit !== undefined) values.set(point.id, { kind: 'bits', bits: [bit] });
        continue;
      }
      const words: number[] = [];
      for (let i = 0; i < point.width; i++) {
        const word = valueAt(this.words, point.function, point.address + i);
        if (word === undefined) break;
        words.push(word);
      }
      if (words.length === point.width) values.set(point.id, { kind: 'registers', words });
    }
    return values;
  }
}

/** The value at one address; where blocks overlap, the block stored last wins (as a later read would). */
function valueAt<V>(blocks: readonly Block<V>[], fn: number, address: number): V | undefined {
  for (let b = blocks.length - 1; b >= 0; b--) {
    const block = blocks[b]!;
    const offset = address - block.address;
    if (block.fn === fn && offset >= 0 && offset < block.values.length) return block.values[offset];
  }
  return undefined;
}
