// The current alarm set, folded from 'alarm' events. Stages that only listen to the bus (actuators,
// notices, the console) keep one of these instead of reaching into the alarm engine.
import type { AlarmEvent } from '../pipeline/types.js';
import { alarmLevelRank } from '../pipeline/types.js';
import type { AlarmView } from './alarm.js';

export class AlarmBoard {
  private readonly current = new Map<string, AlarmView>();

  /** Applies one transition; returns the alarm's view after it (state 'cleared' when it left the set). */
  apply(event: AlarmEvent): AlarmView {
    const before = this.current.get(event.alarmId);
    const view: AlarmView = {
      alarmId: event.alarmId,
      source: event.source,
      point: event.point,
      rule: event.rule,
      level: event.level,
      state: event.state,
      latch: before?.latch ?? false,
      conditionActive: before?.conditionActive ?? true,
      silenced: event.transition === 'silence' ? true : event.transition === 'unsilence' || event.transition === 'raise' || event.transition === 'escalate' ? false : (before?.silenced ?? false),
      value: event.value,
      text: event.text,
      tags: event.tags,
      raisedTs: before?.raisedTs ?? event.ts,
      acknowledgedBy: event.transition === 'acknowledge' ? event.by : before?.acknowledgedBy,
      test: event.rule === 'test_alarm',
    };
    if (event.state === 'cleared') this.current.delete(event.alarmId);
    else this.current.set(event.alarmId, view);
    return view;
  }

  /** Alarms not yet cleared, most urgent first. */
  list(): AlarmView[] {
    return [...this.current.values()].sort((a, b) => alarmLevelRank(a.level) - alarmLevelRank(b.level) || a.raisedTs - b.raisedTs);
  }

  get(alarmId: string): AlarmView | undefined {
    return this.current.get(alarmId);
  }
}
