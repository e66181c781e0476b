// The rule contract: a pure evaluator per configured rule. Evaluators keep their own small state
// (pending on-delay, last sample) and never start timers; the rules stage calls tick() on a schedule so
// on-delays and stale checks fire without a new measurement. Delays and durations use the monotonic
// clock only, so a wall-clock jump (NTP step, RTC-less boot) never shortens or stretches them.
import type { Rule } from '../../config/sections/rules.js';
import type { Measurement, MeasurementValue, SourceStatus } from '../pipeline/types.js';

/** The clocks at one evaluation. `wall` only counts when `synced` is true. */
export interface RuleTime {
  readonly mono: number;
  readonly wall: number;
  readonly synced: boolean;
}

/** A rule's verdict changed: the condition became true (active) or false. */
export interface RuleChange {
  readonly active: boolean;
  /** The value that made the decision, when there is one (threshold, state, rate per minute). */
  readonly value: MeasurementValue | undefined;
}

export interface RuleEvaluator {
  readonly rule: Rule;
  /** The point this rule watches; undefined for source-wide rules (stale, combination). */
  readonly point: string | undefined;
  /** Whether the condition currently holds (after on-delay). */
  active(): boolean;
  /** A measurement of this rule's source; returns a change or undefined. */
  measure(measurement: Measurement, time: RuleTime): RuleChange | undefined;
  /** Time passed without a measurement: on-delays complete, heartbeats run out, windows close. */
  tick(time: RuleTime): RuleChange | undefined;
  /** For combination rules: the member rules as `source/rule` keys. */
  readonly members?: readonly string[];
  /**
   * The watched point reported a fault (sentinel, out of range, unknown unit) instead of a value: forget
   * what is pending, so an on-delay or a rate never completes on a value the device has since disowned.
   */
  inputFault?(): void;
  /** The driver said the source went online or offline (only stale rules care). */
  status?(status: SourceStatus, time: RuleTime): RuleChange | undefined;
}

/** For combination rules: whether another rule (by `source/rule` key) is active, and since/until when. */
export interface RuleStateLookup {
  /** Monotonic ms when the rule was last active (now if it is active), or undefined if never. */
  lastActive(key: string, time: RuleTime): number | undefined;
}

export interface EvaluatorContext {
  readonly source: string;
  readonly lookup: RuleStateLookup;
}

export type EvaluatorFactory<R extends Rule = Rule> = (rule: R, context: EvaluatorContext, time: RuleTime) => RuleEvaluator;

/** A numeric value of a measurement, or undefined when it is missing, not a number or not good quality. */
export function numericValue(measurement: Measurement): number | undefined {
  if (measurement.quality === 'bad') return undefined;
  const { value } = measurement;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'boolean') return Number(value);
  return undefined;
}
