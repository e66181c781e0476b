// A rule's "what happened" text when the profile or site gives none, generated from the rule itself by its
// kind's folder (gateway/rules/<kind>/options.ts `defaultText`).
import type { Rule, RuleKind } from '../../config/sections/rules.js';
import type { LocalText } from '../pipeline/types.js';
import { RULE_OPTIONS } from './kinds.js';

type DefaultTexts = { [K in RuleKind]: (rule: Extract<Rule, { kind: K }>) => LocalText };

const DEFAULT_TEXTS = Object.fromEntries(RULE_OPTIONS.map((kind) => [kind.schema.shape.kind.value, kind.defaultText])) as DefaultTexts;

export function describeRule(rule: Rule): LocalText {
  if (rule.text !== undefined) return rule.text;
  return (DEFAULT_TEXTS[rule.kind] as (rule: Rule) => LocalText)(rule);
}
