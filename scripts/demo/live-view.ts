// The demo's terminal view: the latest value of every point, per source, reprinted every few seconds,
// with online state and the alarms the gateway currently holds. Chinese first, English beside it.
import type { EventBus } from '../../gateway/pipeline/event-bus.js';
import type { GatewayEvents } from '../../gateway/pipeline/events.js';
import type { AlarmEvent, Measurement } from '../../gateway/pipeline/types.js';

export class LiveView {
  private readonly latest = new Map<string, Map<string, Measurement>>();
  private readonly online = new Map<string, boolean>();
  private readonly alarms = new Map<string, AlarmEvent>();
  private readonly faults = new Map<string, string>();
  private readonly unsubscribe: (() => void)[] = [];
  measurements = 0;

  constructor(
    events: EventBus<GatewayEvents>,
    private readonly write: (text: string) => void,
    /** Extra status lines (the demo's siren and strobe), printed under the values. */
    private readonly extraLines: () => string[] = () => [],
  ) {
    this.unsubscribe.push(
      events.on('measurement', (m) => {
        this.measurements++;
        const points = this.latest.get(m.source) ?? new Map<string, Measurement>();
        points.set(m.point, m);
        this.latest.set(m.source, points);
      }),
      events.on('source.status', (s) => this.online.set(s.source, s.online)),
      events.on('fault', (f) => this.faults.set(`${f.source}.${f.point}`, `${f.text.zh} / ${f.text.en}`)),
      events.on('alarm', (a) => {
        if (a.state === 'cleared') this.alarms.delete(a.alarmId);
        else this.alarms.set(a.alarmId, a);
      }),
    );
  }

  /** Sources that have produced at least one measurement. */
  sourcesSeen(): string[] {
    return [...this.latest.keys()];
  }

  render(): string {
    const lines = [`── 实时数据 / live measurements (${new Date().toLocaleTimeString('zh-CN', { hour12: false })}, ${this.measurements} total) ──`];
    for (const [source, points] of [...this.latest].sort(([a], [b]) => a.localeCompare(b))) {
      const state = this.online.get(source) === false ? '离线/offline' : '在线/online';
      const values = [...points.values()]
        .slice(0, 8)
        .map((m) => `${m.point}=${typeof m.value === 'number' ? m.value : String(m.value)}${m.unit ? ` ${m.unit}` : ''}`)
        .join('  ');
      lines.push(`  ${source.padEnd(18)} ${state}  ${values}${points.size > 8 ? `  (+${points.size - 8})` : ''}`);
    }
    lines.push(...this.extraLines());
    for (const [where, text] of this.faults) lines.push(`  故障/fault ${where}: ${text}`);
    for (const alarm of this.alarms.values()) {
      lines.push(`  告警/ALARM [${alarm.level}] ${alarm.state} ${alarm.source}${alarm.point ? `.${alarm.point}` : ''}: ${alarm.text.zh} / ${alarm.text.en}`);
    }
    return lines.join('\n');
  }

  print(): void {
    this.write(this.render() + '\n');
  }

  stop(): void {
    for (const off of this.unsubscribe.splice(0)) off();
  }
}
