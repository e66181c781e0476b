// Rule registry: the config `kind:` names the folder. One line per rule kind (STYLE.md habit 1).
import type { Rule, RuleKind } from '../../config/sections/rules.js';
import { createCombination } from './combination/rule.js';
import { createRate } from './rate/rule.js';
import { createStale } from './stale/rule.js';
import { createState } from './state/rule.js';
import { createThreshold } from './threshold/rule.js';
import type { EvaluatorContext, EvaluatorFactory, RuleEvaluator, RuleTime } from './types.js';
import { createWindow } from './window/rule.js';

type Factories = { [K in RuleKind]: EvaluatorFactory<Extract<Rule, { kind: K }>> };

export const RULE_KINDS: Factories = {
  threshold: createThreshold,
  rate: createRate,
  state: createState,
  stale: createStale,
  window: createWindow,
  combination: createCombination,
};

export const REGISTERED_RULE_KINDS = Object.keys(RULE_KINDS) as RuleKind[];

export function createEvaluator(rule: Rule, context: EvaluatorContext, time: RuleTime): RuleEvaluator {
  const factory = RULE_KINDS[rule.kind] as EvaluatorFactory;
  return factory(rule, context, time);
}
