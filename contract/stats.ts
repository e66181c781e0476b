// Counters and gauges kept by every stage (faults per source, drops, queue depths). The runtime
// publishes them as `gateway` measurements, so the township sees a gateway's health next to its data.

/** One counter or gauge with its labels, as `/metrics` writes it (contract/metrics.ts). */
export interface StatEntry {
  readonly kind: 'counter' | 'gauge';
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

type Entry = { -readonly [K in keyof StatEntry]: StatEntry[K] };

export class Stats {
  private readonly counters = new Map<string, Entry>();
  private readonly gauges = new Map<string, Entry>();

  /** Adds to a counter named like `modbus.timeout` with labels such as {source: 'meter-1'}. */
  inc(name: string, labels: Readonly<Record<string, string>> = {}, by = 1): void {
    const key = Stats.key(name, labels);
    const entry = this.counters.get(key);
    if (entry) entry.value += by;
    else this.counters.set(key, { kind: 'counter', name, labels: { ...labels }, value: by });
  }

  set(name: string, labels: Readonly<Record<string, string>>, value: number): void {
    const key = Stats.key(name, labels);
    const entry = this.gauges.get(key);
    if (entry) entry.value = value;
    else this.gauges.set(key, { kind: 'gauge', name, labels: { ...labels }, value });
  }

  counter(name: string, labels: Readonly<Record<string, string>> = {}): number {
    return this.counters.get(Stats.key(name, labels))?.value ?? 0;
  }

  /** A counter summed over all its label sets (e.g. `uplink.error` of every code). */
  total(name: string): number {
    let sum = 0;
    for (const entry of this.counters.values()) if (entry.name === name) sum += entry.value;
    return sum;
  }

  gauge(name: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
    return this.gauges.get(Stats.key(name, labels))?.value;
  }

  /** Every counter and gauge as `name{label=value}` → number. */
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counters, ...this.gauges].map(([key, entry]) => [key, entry.value]));
  }

  /** Every counter and gauge with its name and labels kept apart (the snapshot's keys cannot be split back safely). */
  entries(): StatEntry[] {
    return [...this.counters.values(), ...this.gauges.values()].map((entry) => ({ ...entry }));
  }

  /** `name{k=v,…}` in the labels' own order; built without arrays, since it runs for every count. */
  private static key(name: string, labels: Readonly<Record<string, string>>): string {
    let key = name;
    let separator = '{';
    for (const label in labels) {
      key += `${separator}${label}=${labels[label]}`;
      separator = ',';
    }
    return separator === '{' ? name : `${key}}`;
  }
}
