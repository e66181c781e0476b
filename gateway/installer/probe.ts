// Probe decoding: one register range read from a device, shown under every byte/word order and both
// address bases, next to what the device profile expects there. The installer reads the table and sees
// which setting gives a sane number (★), and whether the profile (◀) agrees.
import type { DataType, ReadFunction } from '../../config/profile.js';
import { registersToNumber } from '../devices/decode.js';
import type { ResolvedPoint } from '../devices/resolve.js';
import { isPlausible } from './plausible.js';

export const ORDERS = [
  { name: 'ABCD', byteOrder: 'big', wordOrder: 'big' },
  { name: 'CDAB', byteOrder: 'big', wordOrder: 'little' },
  { name: 'BADC', byteOrder: 'little', wordOrder: 'big' },
  { name: 'DCBA', byteOrder: 'little', wordOrder: 'little' },
] as const;
export type OrderName = (typeof ORDERS)[number]['name'];

const TYPES = ['u16', 'i16', 'u32', 'i32', 'float32'] as const satisfies readonly DataType[];
export type ProbeType = (typeof TYPES)[number];

export type AddressBase = 'given' | 'minus1';

export interface ProbeCell {
  readonly base: AddressBase;
  /** Wire (zero-based PDU) address of the first register. */
  readonly address: number;
  readonly type: ProbeType;
  readonly order: OrderName;
  readonly value: number;
  readonly plausible: boolean;
  /** The profile point that sits here with exactly this type and order. */
  readonly profilePoint: string | undefined;
}

export interface ProbeInput {
  readonly fn: ReadFunction;
  /** The address as the installer typed it. */
  readonly address: number;
  readonly count: number;
  /** Words read from wire address `firstWire` on. */
  readonly firstWire: number;
  readonly words: readonly number[];
  /** Profile points for this function code (resolved), to show expectations and units. */
  readonly points: readonly ResolvedPoint[];
  /** The installer's reference reading (multimeter, display), if any. */
  readonly expect?: number | undefined;
  /** A profile point's unit as decoded from its unit-code register (unitFrom), by point id. */
  readonly unitOf?: ((pointId: string) => string | undefined) | undefined;
}

/** Wire addresses to read so that both bases are covered: one register before the given address too. */
export function probeReadRange(address: number, count: number): { firstWire: number; count: number } {
  return address > 0 ? { firstWire: address - 1, count: count + 1 } : { firstWire: 0, count };
}

export function orderOf(point: Pick<ResolvedPoint, 'byteOrder' | 'wordOrder'>): OrderName {
  return ORDERS.find((o) => o.byteOrder === point.byteOrder && o.wordOrder === point.wordOrder)!.name;
}

function syntheticPoint(type: ProbeType, order: (typeof ORDERS)[number]): ResolvedPoint {
  const width = type === 'u16' || type === 'i16' ? 1 : 2;
  return {
    id: 'probe', name: undefined, class: 'power', function: 3, address: 0, type, byteOrder: order.byteOrder, wordOrder: order.wordOrder,
    scale: 1, offset: 0, unit: undefined, bit: undefined, bits: undefined, decimalsFrom: undefined, unitFrom: undefined, states: undefined,
    range: undefined, faults: [], json: undefined, line: undefined, activeLow: false, internal: false, width,
  };
}

/** Every decoding of every register (pair) in the range, for both bases. 16-bit types only use ABCD/BADC. */
export function decodeProbe(input: ProbeInput): ProbeCell[] {
  const cells: ProbeCell[] = [];
  const bases: [AddressBase, number][] = [['given', input.address]];
  if (input.address > 0) bases.push(['minus1', input.address - 1]);
  for (const [base, start] of bases) {
    for (let address = start; address < start + input.count; address++) {
      for (const type of TYPES) {
        const width = type === 'u16' || type === 'i16' ? 1 : 2;
        const index = address - input.firstWire;
        const words = input.words.slice(index, index + width);
        if (index < 0 || words.length < width) continue;
        for (const order of ORDERS) {
          if (width === 1 && order.wordOrder === 'little') continue;
          const raw = registersToNumber(syntheticPoint(type, order), words);
          const here = input.points.find((p) => p.address === address && p.type === type);
          const value = here ? tidy(raw * here.scale + here.offset, type) : tidy(raw, type);
          const unit = here === undefined ? undefined : (input.unitOf?.(here.id) ?? here.unit);
          const plausible = isPlausible(value, { unit, float: type === 'float32', expect: input.expect })
            && (here !== undefined || input.expect !== undefined || type === 'float32');
          const profilePoint = here && orderOf(here) === order.name ? here.id : undefined;
          cells.push({ base, address, type, order: order.name, value, plausible, profilePoint });
        }
      }
    }
  }
  return cells;
}

function tidy(value: number, type: ProbeType): number {
  if (!Number.isFinite(value)) return value;
  return Number(value.toPrecision(type === 'float32' ? 7 : 12));
}

/**
 * The exact YAML to paste under the source (sources[].decode) so the profile decodes the way the most
 * plausible cell did, or undefined when nothing a source can override would help. Only byte and word
 * order can be changed per source: addresses belong to the profile (a device whose map differs needs a
 * corrected copy of the profile in gateway.profilesDir), so no address is ever suggested.
 */
export function decodeSuggestion(top: ProbeCell, points: readonly ResolvedPoint[]): string | undefined {
  const here = points.find((p) => p.address === top.address && p.type === top.type);
  if (here === undefined || top.profilePoint !== undefined) return undefined;
  const want = ORDERS.find((o) => o.name === top.order)!;
  const changes: string[] = [];
  if (want.wordOrder !== here.wordOrder && here.width === 2) changes.push(`wordOrder: ${want.wordOrder}`);
  if (want.byteOrder !== here.byteOrder) changes.push(`byteOrder: ${want.byteOrder}`);
  if (changes.length === 0) return undefined;
  // One setting for the whole source when every point shares this point's orders (the usual case).
  const uniform = points.every((p) => p.byteOrder === here.byteOrder && (p.width === 1 || p.wordOrder === here.wordOrder));
  return uniform ? `decode: { defaults: { ${changes.join(', ')} } }` : `decode: { points: { ${here.id}: { ${changes.join(', ')} } } }`;
}

/** The settings that gave a plausible value, best first: the profile's own choice, then floats, then the given base. */
export function plausibleSettings(cells: readonly ProbeCell[]): ProbeCell[] {
  const score = (c: ProbeCell) => (c.profilePoint !== undefined ? 4 : 0) + (c.type === 'float32' ? 2 : 0) + (c.base === 'given' ? 1 : 0);
  return cells.filter((c) => c.plausible).sort((a, b) => score(b) - score(a));
}
