// What a Modbus driver learned from one poll: words and bits by function code and wire address.
// Points are sliced out of it by address, so a coalesced read and a per-point read decode the same way.
import type { RawValue } from '../pipeline/types.js';
import type { ResolvedPoint } from './resolve.js';

export class RegisterImage {
  private readonly words = new Map<number, Map<number, number>>();
  private readonly bits = new Map<number, Map<number, boolean>>();

  /** Stores registers (function 3/4) read from `address` onward. */
  setWords(fn: 3 | 4, address: number, words: readonly number[]): void {
    const table = this.table(this.words, fn);
    words.forEach((word, i) => table.set(address + i, word));
  }

  /** Stores coils/discrete inputs (function 1/2) read from `address` onward. */
  setBits(fn: 1 | 2, address: number, bits: readonly boolean[]): void {
    const table = this.table(this.bits, fn);
    bits.forEach((bit, i) => table.set(address + i, bit));
  }

  /** Raw values of the points fully present in the image; points with any missing register are left out. */
  valuesFor(points: readonly ResolvedPoint[]): Map<string, RawValue> {
    const values = new Map<string, RawValue>();
    for (const point of points) {
      if (point.function === 1 || point.function === 2) {
        const bit = this.bits.get(point.function)?.get(point.address);
        if (bit !== undefined) values.set(point.id, { kind: 'bits', bits: [bit] });
        continue;
      }
      const table = this.words.get(point.function);
      const words: number[] = [];
      for (let i = 0; i < point.width; i++) {
        const word = table?.get(point.address + i);
        if (word === undefined) break;
        words.push(word);
      }
      if (words.length === point.width) values.set(point.id, { kind: 'registers', words });
    }
    return values;
  }

  private table<V>(tables: Map<number, Map<number, V>>, fn: number): Map<number, V> {
    let table = tables.get(fn);
    if (!table) {
      table = new Map();
      tables.set(fn, table);
    }
    return table;
  }
}
