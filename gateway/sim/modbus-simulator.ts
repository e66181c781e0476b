// A Modbus TCP simulator serving any number of unit ids, each speaking a device profile: values come
// from a scenario function of time and are encoded exactly as the profile decodes them, and every read
// is answered at once (modbus-tcp-listener.ts). Used by the demo compound, tests and benchmarks. Unknown
// unit ids never answer (a dead slave, so the gateway sees a timeout); addresses a profile does not map
// answer exception 02.
import { ModbusException, ModbusTcpListener } from './modbus-tcp-listener.js';
import type { ResolvedProfile } from '../devices/resolve.js';
import { rawToWords, valueToRaw } from '../devices/encode.js';
import type { MeasurementValue } from '../pipeline/types.js';

/** Point values at `seconds` since the simulator started; missing points read as 0. */
export type Scenario = (seconds: number) => Readonly<Record<string, MeasurementValue>>;

export interface SimulatedDevice {
  readonly unit: number;
  readonly resolved: ResolvedProfile;
  readonly scenario: Scenario;
}

const ILLEGAL_DATA_ADDRESS = 2;

export class ModbusSimulator {
  private listener: ModbusTcpListener | undefined;
  private readonly devices = new Map<number, SimulatedDevice>();
  private readonly overrides = new Map<number, Map<string, MeasurementValue>>();
  /** Raw words forced at an address (fault sentinels such as 0xE5E5), by unit. */
  private readonly rawOverrides = new Map<number, Map<string, number>>();
  private readonly startedAt = performance.now();
  requests = 0;

  constructor(
    devices: readonly SimulatedDevice[],
    private readonly listen: { host: string; port: number },
  ) {
    for (const device of devices) this.devices.set(device.unit, device);
  }

  /** Pins a point to a value until cleared (undefined), e.g. to raise an alarm in a test or the demo. */
  set(unit: number, pointId: string, value: MeasurementValue | undefined): void {
    const map = this.overrides.get(unit) ?? new Map<string, MeasurementValue>();
    if (value === undefined) map.delete(pointId);
    else map.set(pointId, value);
    this.overrides.set(unit, map);
  }

  /** Makes a point send a raw integer (a fault sentinel) until cleared (undefined). */
  setRaw(unit: number, pointId: string, raw: number | undefined): void {
    const map = this.rawOverrides.get(unit) ?? new Map<string, number>();
    if (raw === undefined) map.delete(pointId);
    else map.set(pointId, raw);
    this.rawOverrides.set(unit, map);
  }

  async start(): Promise<void> {
    const listener = new ModbusTcpListener({
      registers: (unit, fn, address, quantity) => {
        const device = this.devices.get(unit);
        return device && this.readWords(device, fn, address, quantity);
      },
      bits: (unit, fn, address, quantity) => {
        const device = this.devices.get(unit);
        return device && Array.from({ length: quantity }, (_, i) => this.readBit(device, fn, address + i));
      },
    });
    await listener.listen(this.listen.host, this.listen.port);
    this.listener = listener;
  }

  async stop(): Promise<void> {
    const listener = this.listener;
    this.listener = undefined;
    await listener?.close();
  }

  private values(device: SimulatedDevice): Map<string, MeasurementValue> {
    const values = new Map(Object.entries(device.scenario((performance.now() - this.startedAt) / 1000)));
    for (const [pointId, value] of this.overrides.get(device.unit) ?? []) values.set(pointId, value);
    return values;
  }

  private readWords(device: SimulatedDevice, fn: 3 | 4, address: number, length: number): number[] {
    this.requests++;
    const values = this.values(device);
    const raws = this.rawOverrides.get(device.unit);
    const words = new Array<number | undefined>(length).fill(undefined);
    for (const point of device.resolved.points) {
      if (point.function !== fn || point.address + point.width <= address || point.address >= address + length) continue;
      const decimals = point.decimalsFrom === undefined ? 0 : Number(values.get(point.decimalsFrom) ?? 0);
      const raw = raws?.get(point.id) ?? valueToRaw(point, values.get(point.id) ?? defaultValue(point.states), decimals);
      rawToWords(point, raw).forEach((word, i) => {
        const index = point.address + i - address;
        // Several points may share a register (bitfields, bits): OR them together.
        if (index >= 0 && index < length) words[index] = (words[index] ?? 0) | word;
      });
    }
    const gaps = words.filter((w) => w === undefined).length;
    if (gaps === length) throw new ModbusException(ILLEGAL_DATA_ADDRESS, 'illegal data address');
    return words.map((w) => w ?? 0);
  }

  private readBit(device: SimulatedDevice, fn: 1 | 2, address: number): boolean {
    this.requests++;
    const point = device.resolved.points.find((p) => p.function === fn && p.address === address);
    if (!point) throw new ModbusException(ILLEGAL_DATA_ADDRESS, 'illegal data address');
    const value = this.values(device).get(point.id) ?? false;
    return Boolean(valueToRaw(point, value));
  }
}

function defaultValue(states: Readonly<Record<string, string>> | undefined): MeasurementValue {
  return states ? (Object.values(states)[0] ?? 0) : 0;
}
