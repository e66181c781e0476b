// Counters and gauges kept by every stage (faults per source, drops, queue depths). The runtime
// publishes them as `gateway` measurements, so the township sees a gateway's health next to its data.

export class Stats {
  private readonly counters = new Map<string, number>();
  private readonly gauges = new Map<string, number>();

  /** Adds to a counter named like `modbus.timeout` with labels such as {source: 'meter-1'}. */
  inc(name: string, labels: Readonly<Record<string, string>> = {}, by = 1): void {
    const key = Stats.key(name, labels);
    this.counters.set(key, (this.counters.get(key) ?? 0) + by);
  }

  set(name: string, labels: Readonly<Record<string, string>>, value: number): void {
    this.gauges.set(Stats.key(name, labels), value);
  }

  counter(name: string, labels: Readonly<Record<string, string>> = {}): number {
    return this.counters.get(Stats.key(name, labels)) ?? 0;
  }

  gauge(name: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
    return this.gauges.get(Stats.key(name, labels));
  }

  /** Every counter and gauge as `name{label=value}` → number. */
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counters, ...this.gauges]);
  }

  private static key(name: string, labels: Readonly<Record<string, string>>): string {
    const entries = Object.entries(labels);
    if (entries.length === 0) return name;
    return `${name}{${entries.map(([k, v]) => `${k}=${v}`).join(',')}}`;
  }
}
