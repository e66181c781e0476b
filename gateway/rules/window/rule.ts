// Time window: value >= above during local hours from–to (e.g. power use at night in an empty unit).
// The hours come from the wall clock, which is only trusted once synced: before that the rule neither
// raises nor clears (a 1970 clock must not decide it is night). The on-delay uses the monotonic clock.
import type { WindowRule } from './options.js';
import type { Measurement } from '../../pipeline/types.js';
import { OnDelay } from '../on-delay.js';
import { numericValue, type EvaluatorFactory, type RuleChange, type RuleEvaluator, type RuleTime } from '../types.js';

export type { WindowRule };

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return h * 60 + m;
}

/** Minutes since local midnight of a wall time, in the given zone (or the system zone). */
export function localMinutes(wall: number, timeZone: string | undefined): number {
  if (timeZone === undefined) {
    const date = new Date(wall);
    return date.getHours() * 60 + date.getMinutes();
  }
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(wall));
  const pick = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return pick('hour') * 60 + pick('minute');
}

/** Whether `minutes` lies in [from, to); a window with to <= from crosses midnight. */
export function inDailyWindow(minutes: number, from: string, to: string): boolean {
  const start = minutesOf(from);
  const end = minutesOf(to);
  return start < end ? minutes >= start && minutes < end : minutes >= start || minutes < end;
}

export class WindowEvaluator implements RuleEvaluator {
  readonly point: string;
  private readonly delay: OnDelay;
  private lastValue: number | undefined;

  constructor(readonly rule: WindowRule) {
    this.point = rule.point;
    this.delay = new OnDelay(rule.for);
  }

  active(): boolean {
    return this.delay.active();
  }

  private evaluate(time: RuleTime): RuleChange | undefined {
    if (!time.synced) {
      this.delay.cancelPending();
      return undefined;
    }
    if (this.lastValue === undefined) return undefined;
    const open = inDailyWindow(localMinutes(time.wall, this.rule.timeZone), this.rule.from, this.rule.to);
    const changed = this.delay.update(open && this.lastValue >= this.rule.above, time.mono);
    return changed === undefined ? undefined : { active: changed, value: this.lastValue };
  }

  measure(measurement: Measurement, time: RuleTime): RuleChange | undefined {
    if (measurement.point !== this.point) return undefined;
    const value = numericValue(measurement);
    if (value === undefined) return undefined;
    this.lastValue = value;
    return this.evaluate(time);
  }

  inputFault(): void {
    this.delay.cancelPending();
    this.lastValue = undefined;
  }

  /** The window opening or closing changes the verdict even without a new value. */
  tick(time: RuleTime): RuleChange | undefined {
    return this.evaluate(time);
  }
}

export const createWindow: EvaluatorFactory<WindowRule> = (rule) => new WindowEvaluator(rule);
