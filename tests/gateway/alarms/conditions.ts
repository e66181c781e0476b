// A rule condition from the riser smoke detector, shared by the alarm-engine tests.
import type { RuleCondition } from '../../../gateway/rules/condition.js';

export const smokeCondition = (active: boolean, extra: Partial<RuleCondition> = {}): RuleCondition => ({
  alarmId: 'smoke-1.smoke_alarm.smoke',
  source: 'smoke-1',
  point: 'smoke_alarm',
  rule: 'smoke',
  kind: 'state',
  class: 'smoke',
  level: 'fire',
  latch: true,
  active,
  value: active ? 'smoke' : 'normal',
  text: { zh: '3号楼 风管烟雾报警', en: 'Building 3 duct smoke alarm' },
  suppress: [],
  members: [],
  tags: { building: '3' },
  mono: 0,
  ...extra,
});
