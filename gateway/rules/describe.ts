// A rule's "what happened" text when the profile or site gives none, generated from the rule itself.
import type { Rule } from '../../config/sections/rules.js';
import type { LocalText } from '../pipeline/types.js';

export function describeRule(rule: Rule): LocalText {
  if (rule.text !== undefined) return rule.text;
  switch (rule.kind) {
    case 'threshold':
      return rule.above !== undefined
        ? { zh: `超过报警值 ${rule.above}`, en: `above the alarm level ${rule.above}` }
        : { zh: `低于报警值 ${rule.below}`, en: `below the alarm level ${rule.below}` };
    case 'rate':
      return { zh: '变化过快', en: 'changing too fast' };
    case 'state':
      return { zh: `状态为 ${rule.equals.join('/')}`, en: `state is ${rule.equals.join('/')}` };
    case 'stale':
      return { zh: `超过 ${rule.after} 无数据`, en: `no data for more than ${rule.after}` };
    case 'window':
      return { zh: `${rule.from}–${rule.to} 时段内超过 ${rule.above}`, en: `above ${rule.above} between ${rule.from} and ${rule.to}` };
    case 'combination':
      return { zh: `多个条件同时出现（${rule.all.join('、')}）`, en: `several conditions at once (${rule.all.join(', ')})` };
  }
}
