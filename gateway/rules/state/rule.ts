// State: the point takes one of the listed values (smoke, fault, low battery, tamper) for at least `for`.
import type { StateRule } from './options.js';
import type { Measurement, MeasurementValue } from '../../pipeline/types.js';
import { OnDelay } from '../on-delay.js';
import type { EvaluatorFactory, RuleChange, RuleEvaluator, RuleTime } from '../types.js';

export type { StateRule };

export class StateEvaluator implements RuleEvaluator {
  readonly point: string;
  private readonly delay: OnDelay;
  private lastValue: MeasurementValue | undefined;

  constructor(readonly rule: StateRule) {
    this.point = rule.point;
    this.delay = new OnDelay(rule.for);
  }

  active(): boolean {
    return this.delay.active();
  }

  measure(measurement: Measurement, time: RuleTime): RuleChange | undefined {
    if (measurement.point !== this.point || measurement.quality === 'bad') return undefined;
    this.lastValue = measurement.value;
    // Numbers and booleans from different decoders compare by value: 1 matches true, "1" matches 1.
    const matches = this.rule.equals.some((wanted) => wanted === measurement.value || String(wanted) === String(measurement.value) || (typeof measurement.value === 'boolean' && wanted === Number(measurement.value)));
    const changed = this.delay.update(matches, time.mono);
    return changed === undefined ? undefined : { active: changed, value: measurement.value };
  }

  tick(time: RuleTime): RuleChange | undefined {
    const changed = this.delay.check(time.mono);
    return changed === undefined ? undefined : { active: changed, value: this.lastValue };
  }
}

export const createState: EvaluatorFactory<StateRule> = (rule) => new StateEvaluator(rule);
