// The application data unit (§7, §8): type flag 1 · object count 1 · objects. Each upload object is an
// information body followed by its 6-byte time label. Decoding is total: a wrong length or count is a
// reason with the byte offset inside the unit, a bad GB 18030 description is flagged on its object.
import { readTime, writeTime, type FrameTime } from './frame.js';
import { decodeDescription, DESCRIPTION_BYTES, encodeDescription } from './text.js';

/** Type flags (§8.1.1) this codec reads or writes. */
export const TYPE = {
  systemState: 1,
  componentState: 2,
  analogValue: 3,
  operation: 4,
  deviceState: 21,
  deviceOperation: 24,
  readSystemState: 61,
  readDeviceState: 81,
  syncClock: 90,
  dutyCheck: 91,
} as const;

/** Building fire-protection system (系统类型 + 系统地址). */
export interface SystemRef {
  readonly type: number;
  readonly address: number;
}

/** A component (部件): type and 4-byte address, which is 区号 (2, LE) then 位号 (2, LE) (§8.2.1.2). */
export interface ComponentRef {
  readonly system: SystemRef;
  readonly type: number;
  readonly area: number;
  readonly position: number;
}

/** The objects that read and are sent alike (only component states differ: decoded text against text to send). */
type CommonObject =
  | { readonly kind: 'analog_value'; readonly component: ComponentRef; readonly analogType: number; readonly raw: number; readonly time: FrameTime }
  | { readonly kind: 'operation'; readonly system: SystemRef; readonly flags: number; readonly operator: number; readonly time: FrameTime }
  | { readonly kind: 'device_state'; readonly status: number; readonly time: FrameTime }
  | { readonly kind: 'device_operation'; readonly flags: number; readonly operator: number; readonly time: FrameTime }
  | { readonly kind: 'read_system_state'; readonly system: SystemRef }
  | { readonly kind: 'read_device_state' }
  | { readonly kind: 'sync_clock'; readonly time: FrameTime }
  /** 查岗: the worked examples carry one byte, the answer window in minutes (see README "Conflicts"). */
  | { readonly kind: 'duty_check'; readonly minutes: number };

export type InfoObject =
  | { readonly kind: 'system_state'; readonly system: SystemRef; readonly status: number; readonly time: FrameTime }
  | {
      readonly kind: 'component_state';
      readonly component: ComponentRef;
      readonly status: number;
      /** Decoded text, or undefined when the bytes are not GB 18030 (then descriptionHex holds them). */
      readonly description: string | undefined;
      readonly descriptionHex: string | undefined;
      /** Offset of the description inside the application data unit. */
      readonly descriptionAt: number;
      readonly time: FrameTime;
    }
  | CommonObject;

export interface AppUnit {
  readonly type: number;
  readonly objects: readonly InfoObject[];
}

export type AppUnitResult =
  | { readonly ok: true; readonly unit: AppUnit }
  /** unknown_type is not an error of the sender: reserved and user-defined types exist; the link still confirms. */
  | { readonly ok: false; readonly reason: 'empty' | 'bad_length' | 'bad_count' | 'unknown_type'; readonly type: number | undefined; readonly offset: number; readonly detail: string };

interface Layout {
  /** Bytes per object, time label included. */
  readonly size: number;
  /** Largest object count the standard allows (§8.3). */
  readonly maxCount: number;
  readonly read: (buf: Buffer, at: number) => InfoObject;
}

const system = (buf: Buffer, at: number): SystemRef => ({ type: buf[at]!, address: buf[at + 1]! });
const component = (buf: Buffer, at: number): ComponentRef => ({
  system: system(buf, at),
  type: buf[at + 2]!,
  area: buf.readUInt16LE(at + 3),
  position: buf.readUInt16LE(at + 5),
});

const LAYOUTS: Readonly<Record<number, Layout>> = {
  [TYPE.systemState]: { size: 10, maxCount: 102, read: (b, at) => ({ kind: 'system_state', system: system(b, at), status: b.readUInt16LE(at + 2), time: readTime(b, at + 4) }) },
  [TYPE.componentState]: {
    size: 46,
    maxCount: 22,
    read: (b, at) => {
      const text = decodeDescription(b.subarray(at + 9, at + 9 + DESCRIPTION_BYTES));
      return {
        kind: 'component_state',
        component: component(b, at),
        status: b.readUInt16LE(at + 7),
        description: text.ok ? text.text : undefined,
        descriptionHex: text.ok ? undefined : text.hex,
        descriptionAt: at + 9,
        time: readTime(b, at + 40),
      };
    },
  },
  [TYPE.analogValue]: { size: 16, maxCount: 63, read: (b, at) => ({ kind: 'analog_value', component: component(b, at), analogType: b[at + 7]!, raw: b.readInt16LE(at + 8), time: readTime(b, at + 10) }) },
  [TYPE.operation]: { size: 10, maxCount: 102, read: (b, at) => ({ kind: 'operation', system: system(b, at), flags: b[at + 2]!, operator: b[at + 3]!, time: readTime(b, at + 4) }) },
  [TYPE.deviceState]: { size: 7, maxCount: 1, read: (b, at) => ({ kind: 'device_state', status: b[at]!, time: readTime(b, at + 1) }) },
  [TYPE.deviceOperation]: { size: 8, maxCount: 127, read: (b, at) => ({ kind: 'device_operation', flags: b[at]!, operator: b[at + 1]!, time: readTime(b, at + 2) }) },
  [TYPE.readSystemState]: { size: 2, maxCount: 102, read: (b, at) => ({ kind: 'read_system_state', system: system(b, at) }) },
  [TYPE.readDeviceState]: { size: 1, maxCount: 1, read: () => ({ kind: 'read_device_state' }) },
  [TYPE.syncClock]: { size: 6, maxCount: 1, read: (b, at) => ({ kind: 'sync_clock', time: readTime(b, at) }) },
  [TYPE.dutyCheck]: { size: 1, maxCount: 1, read: (b, at) => ({ kind: 'duty_check', minutes: b[at]! }) },
};

export function decodeAppUnit(data: Buffer): AppUnitResult {
  if (data.length === 0) return { ok: false, reason: 'empty', type: undefined, offset: 0, detail: 'no application data' };
  const type = data[0]!;
  const layout = LAYOUTS[type];
  if (!layout) return { ok: false, reason: 'unknown_type', type, offset: 0, detail: `type flag ${type} is not decoded` };
  if (data.length < 2) return { ok: false, reason: 'bad_length', type, offset: 1, detail: 'no object count' };
  const count = data[1]!;
  if (count === 0 || count > layout.maxCount) return { ok: false, reason: 'bad_count', type, offset: 1, detail: `${count} objects; type ${type} allows 1–${layout.maxCount}` };
  const expected = 2 + count * layout.size;
  if (data.length !== expected) {
    return { ok: false, reason: 'bad_length', type, offset: Math.min(data.length, expected), detail: `${count} objects of ${layout.size} bytes need ${expected} bytes, got ${data.length}` };
  }
  const objects: InfoObject[] = [];
  for (let k = 0; k < count; k++) objects.push(layout.read(data, 2 + k * layout.size));
  return { ok: true, unit: { type, objects } };
}

/** What the simulator and the gateway send. Components carry their description as text. */
export type OutgoingObject =
  | { readonly kind: 'system_state'; readonly system: SystemRef; readonly status: number; readonly time: FrameTime }
  | { readonly kind: 'component_state'; readonly component: ComponentRef; readonly status: number; readonly description: string; readonly time: FrameTime }
  | CommonObject;

const TYPE_OF: Readonly<Record<OutgoingObject['kind'], number>> = {
  system_state: TYPE.systemState,
  component_state: TYPE.componentState,
  analog_value: TYPE.analogValue,
  operation: TYPE.operation,
  device_state: TYPE.deviceState,
  device_operation: TYPE.deviceOperation,
  read_system_state: TYPE.readSystemState,
  read_device_state: TYPE.readDeviceState,
  sync_clock: TYPE.syncClock,
  duty_check: TYPE.dutyCheck,
};

function writeComponent(out: Buffer, at: number, ref: ComponentRef): void {
  out[at] = ref.system.type;
  out[at + 1] = ref.system.address;
  out[at + 2] = ref.type;
  out.writeUInt16LE(ref.area, at + 3);
  out.writeUInt16LE(ref.position, at + 5);
}

function encodeObject(object: OutgoingObject): Buffer {
  const out = Buffer.alloc(LAYOUTS[TYPE_OF[object.kind]]!.size);
  switch (object.kind) {
    case 'system_state':
    case 'operation':
      out[0] = object.system.type;
      out[1] = object.system.address;
      if (object.kind === 'system_state') out.writeUInt16LE(object.status, 2);
      else {
        out[2] = object.flags;
        out[3] = object.operator;
      }
      writeTime(out, 4, object.time);
      break;
    case 'component_state':
      writeComponent(out, 0, object.component);
      out.writeUInt16LE(object.status, 7);
      encodeDescription(object.description).copy(out, 9);
      writeTime(out, 40, object.time);
      break;
    case 'analog_value':
      writeComponent(out, 0, object.component);
      out[7] = object.analogType;
      out.writeInt16LE(object.raw, 8);
      writeTime(out, 10, object.time);
      break;
    case 'device_state':
      out[0] = object.status;
      writeTime(out, 1, object.time);
      break;
    case 'device_operation':
      out[0] = object.flags;
      out[1] = object.operator;
      writeTime(out, 2, object.time);
      break;
    case 'read_system_state':
      out[0] = object.system.type;
      out[1] = object.system.address;
      break;
    case 'read_device_state':
      out[0] = 0;
      break;
    case 'sync_clock':
      writeTime(out, 0, object.time);
      break;
    case 'duty_check':
      out[0] = object.minutes;
      break;
  }
  return out;
}

/** One application data unit; every object must be of the same type. Throws on our own mistakes only. */
export function encodeAppUnit(objects: readonly OutgoingObject[]): Buffer {
  const first = objects[0];
  if (!first) throw new RangeError('an application data unit needs at least one object');
  const type = TYPE_OF[first.kind];
  if (objects.some((o) => TYPE_OF[o.kind] !== type)) throw new RangeError('objects of one unit must share a type');
  const max = LAYOUTS[type]!.maxCount;
  if (objects.length > max) throw new RangeError(`type ${type} carries at most ${max} objects`);
  return Buffer.concat([Buffer.from([type, objects.length]), ...objects.map(encodeObject)]);
}
