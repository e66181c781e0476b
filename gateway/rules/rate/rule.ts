// Rate of change over a window: keeps (mono, value) samples of the last `over` and compares the slope
// between the oldest and newest sample with risePerMinute / fallPerMinute. Needs samples spanning at
// least half the window, so two readings a second apart cannot fake a steep rise.
import type { RateRule } from './options.js';
import type { Measurement } from '../../pipeline/types.js';
import { numericValue, type EvaluatorFactory, type RuleChange, type RuleEvaluator, type RuleTime } from '../types.js';

export type { RateRule };

/** Enough for a 1-per-second point over a 10-minute window; older samples fall off first. */
const MAX_SAMPLES = 1024;

export class RateEvaluator implements RuleEvaluator {
  readonly point: string;
  private readonly overMs: number;
  private readonly samples: { mono: number; value: number }[] = [];
  private isActive = false;

  constructor(readonly rule: RateRule) {
    this.point = rule.point;
    this.overMs = rule.over;
  }

  active(): boolean {
    return this.isActive;
  }

  /** Units per minute between the oldest and newest sample in the window, or undefined if the span is too short. */
  ratePerMinute(): number | undefined {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last || last.mono - first.mono < this.overMs / 2) return undefined;
    return ((last.value - first.value) / (last.mono - first.mono)) * 60_000;
  }

  private evaluate(time: RuleTime): RuleChange | undefined {
    while (this.samples.length > 0 && time.mono - this.samples[0]!.mono > this.overMs) this.samples.shift();
    const rate = this.ratePerMinute();
    const { risePerMinute, fallPerMinute } = this.rule;
    const now = rate !== undefined && ((risePerMinute !== undefined && rate >= risePerMinute) || (fallPerMinute !== undefined && -rate >= fallPerMinute));
    if (now === this.isActive) return undefined;
    this.isActive = now;
    return { active: now, value: rate === undefined ? undefined : Number(rate.toPrecision(6)) };
  }

  measure(measurement: Measurement, time: RuleTime): RuleChange | undefined {
    if (measurement.point !== this.point) return undefined;
    const value = numericValue(measurement);
    if (value === undefined) return undefined;
    this.samples.push({ mono: measurement.mono, value });
    if (this.samples.length > MAX_SAMPLES) this.samples.shift();
    return this.evaluate(time);
  }

  /** A rise measured across a fault is no rise: start the window again from the next good value. */
  inputFault(): void {
    this.samples.length = 0;
  }

  /** Without new samples the window empties and the rate is unknown, which clears the rule. */
  tick(time: RuleTime): RuleChange | undefined {
    return this.evaluate(time);
  }
}

export const createRate: EvaluatorFactory<RateRule> = (rule) => new RateEvaluator(rule);
