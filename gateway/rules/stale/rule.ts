// Stale / heartbeat: "sensor silent". Active when no measurement (of the point, or of any point of the
// source) arrived for `after`, or when the driver reports the whole source offline. This is a separate
// alarm from the value rules, so a silent smoke detector never looks like "no smoke".
import type { StaleRule } from './options.js';
import type { Measurement, SourceStatus } from '../../pipeline/types.js';
import type { EvaluatorFactory, RuleChange, RuleEvaluator, RuleTime } from '../types.js';

export type { StaleRule };

export class StaleEvaluator implements RuleEvaluator {
  readonly point: string | undefined;
  private readonly afterMs: number;
  private lastSeen: number;
  private offlineByDriver = false;
  private isActive = false;

  /** `startMono`: a fresh gateway gives every source one full `after` before calling it silent. */
  constructor(
    readonly rule: StaleRule,
    startMono: number,
  ) {
    this.point = rule.point;
    this.afterMs = rule.after;
    this.lastSeen = startMono;
  }

  active(): boolean {
    return this.isActive;
  }

  private evaluate(time: RuleTime): RuleChange | undefined {
    const silentMs = time.mono - this.lastSeen;
    const now = this.offlineByDriver || silentMs >= this.afterMs;
    if (now === this.isActive) return undefined;
    this.isActive = now;
    // The value is how long the source has been silent, in seconds (shown in notices).
    return { active: now, value: Math.round(silentMs / 1000) };
  }

  measure(measurement: Measurement, time: RuleTime): RuleChange | undefined {
    if (this.point !== undefined && measurement.point !== this.point) return undefined;
    this.lastSeen = Math.max(this.lastSeen, measurement.mono);
    this.offlineByDriver = false;
    return this.evaluate(time);
  }

  tick(time: RuleTime): RuleChange | undefined {
    return this.evaluate(time);
  }

  status(status: SourceStatus, time: RuleTime): RuleChange | undefined {
    // A point-level heartbeat follows that point's measurements only.
    if (this.point !== undefined) return undefined;
    this.offlineByDriver = !status.online;
    return this.evaluate(time);
  }
}

export const createStale: EvaluatorFactory<StaleRule> = (rule, _context, time) => new StaleEvaluator(rule, time.mono);
