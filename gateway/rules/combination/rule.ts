// Combination: every named rule is active now, or was within `within` (monotonic). Smoke plus a
// temperature rise within 5 minutes raises fire even if the smoke head has already cleared.
// Member states come from the rules stage (RuleStateLookup), so members may live on other sources.
import type { CombinationRule } from './options.js';
import type { EvaluatorContext, EvaluatorFactory, RuleChange, RuleEvaluator, RuleTime } from '../types.js';

export type { CombinationRule };

export class CombinationEvaluator implements RuleEvaluator {
  readonly point = undefined;
  /** Member keys as `source/rule`. */
  readonly members: readonly string[];
  private readonly withinMs: number;
  private isActive = false;

  constructor(
    readonly rule: CombinationRule,
    private readonly context: EvaluatorContext,
  ) {
    this.members = rule.all.map((ref) => (ref.includes('/') ? ref : `${context.source}/${ref}`));
    this.withinMs = rule.within;
  }

  active(): boolean {
    return this.isActive;
  }

  /** Re-evaluates from the members' states; the rules stage calls this after any member changes. */
  tick(time: RuleTime): RuleChange | undefined {
    const now = this.members.every((key) => {
      const last = this.context.lookup.lastActive(key, time);
      return last !== undefined && time.mono - last <= this.withinMs;
    });
    if (now === this.isActive) return undefined;
    this.isActive = now;
    return { active: now, value: undefined };
  }

  measure(): RuleChange | undefined {
    return undefined;
  }
}

export const createCombination: EvaluatorFactory<CombinationRule> = (rule, context) => new CombinationEvaluator(rule, context);
