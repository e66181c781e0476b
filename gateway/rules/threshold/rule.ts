// Threshold with hysteresis and on-delay: raise when value >= above (or <= below) has held for `for`;
// clear only once the value is `hysteresis` back inside, so a value hovering at the limit does not flap.
import type { ThresholdRule } from './options.js';
import { OnDelay } from '../on-delay.js';
import { numericValue, type EvaluatorFactory, type RuleChange, type RuleEvaluator, type RuleTime } from '../types.js';
import type { Measurement } from '../../pipeline/types.js';

export type { ThresholdRule };

export class ThresholdEvaluator implements RuleEvaluator {
  readonly point: string;
  private readonly delay: OnDelay;
  private lastValue: number | undefined;

  constructor(readonly rule: ThresholdRule) {
    this.point = rule.point;
    this.delay = new OnDelay(rule.for);
  }

  active(): boolean {
    return this.delay.active();
  }

  /** Raw condition with hysteresis: once active, the value must come back past the limit by `hysteresis`. */
  private condition(value: number): boolean {
    const { above, below, hysteresis } = this.rule;
    const active = this.delay.active();
    if (above !== undefined) return active ? value > above - hysteresis : value >= above;
    return active ? value < below! + hysteresis : value <= below!;
  }

  measure(measurement: Measurement, time: RuleTime): RuleChange | undefined {
    if (measurement.point !== this.point) return undefined;
    const value = numericValue(measurement);
    // A missing or non-numeric value says nothing about the threshold: keep the state and any pending delay.
    if (value === undefined) return undefined;
    this.lastValue = value;
    const changed = this.delay.update(this.condition(value), time.mono);
    return changed === undefined ? undefined : { active: changed, value };
  }

  inputFault(): void {
    this.delay.cancelPending();
  }

  tick(time: RuleTime): RuleChange | undefined {
    const changed = this.delay.check(time.mono);
    return changed === undefined ? undefined : { active: changed, value: this.lastValue };
  }
}

export const createThreshold: EvaluatorFactory<ThresholdRule> = (rule) => new ThresholdEvaluator(rule);
