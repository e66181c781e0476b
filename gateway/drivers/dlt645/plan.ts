// What to read from one meter, and how its answers become raw values: the profile's points grouped by DI
// (points that share a DI are read once), each decoded by its format. Pure; used by the poller and by the
// golden cases (devices/*.cases.yaml `frames:`), so both decode the same way.
import type { Profile } from '../../../config/profile.js';
import type { ResolvedPoint } from '../../devices/resolve.js';
import type { RawValue } from '../../pipeline/types.js';
import { CONTROL, decodeDi, functionOf, type Frame } from './frame.js';
import { decodeItem, type ItemFormat } from './values.js';

/** One DI read, and the points decoded from it. */
export interface PlannedItem {
  readonly di: string;
  readonly points: readonly { readonly point: ResolvedPoint; readonly item: ItemFormat }[];
}

export function planItems(profile: Profile, points: readonly ResolvedPoint[]): PlannedItem[] {
  const byDi = new Map<string, { point: ResolvedPoint; item: ItemFormat }[]>();
  for (const point of points) {
    const def = profile.points.find((p) => p.id === point.id)?.dlt645;
    if (def === undefined) continue;
    const list = byDi.get(def.di) ?? [];
    list.push({ point, item: { format: def.format, signed: def.signed, binary: def.binary } });
    byDi.set(def.di, list);
  }
  return [...byDi].map(([di, list]) => ({ di, points: list }));
}

/** The raw values (BCD digits as an integer, sign applied) of an item's points; a point that does not decode is an error. */
export function itemValues(item: PlannedItem, bytes: Uint8Array): { values: Map<string, RawValue>; errors: { point: string; message: string }[] } {
  const values = new Map<string, RawValue>();
  const errors: { point: string; message: string }[] = [];
  for (const { point, item: format } of item.points) {
    const decoded = decodeItem(bytes, format);
    // A driver-decoded number travels as a scalar 'json' raw value (as OPC UA's do); the profile scales it.
    if (decoded.ok) values.set(point.id, { kind: 'json', value: decoded.raw });
    else errors.push({ point: point.id, message: decoded.message });
  }
  return { values, errors };
}

/** Raw values from normal read replies (0x91), as the golden cases give them. Other frames are ignored. */
export function valuesFromReplies(items: readonly PlannedItem[], replies: readonly Frame[]): Map<string, RawValue> {
  const values = new Map<string, RawValue>();
  for (const reply of replies) {
    if (functionOf(reply.control) !== CONTROL.readData || (reply.control & CONTROL.error) !== 0 || reply.data.length < 4) continue;
    const item = items.find((i) => i.di === decodeDi(reply.data));
    if (item) for (const [id, raw] of itemValues(item, reply.data.subarray(4)).values) values.set(id, raw);
  }
  return values;
}
