// The rules stage: measurement / fault / source.status → rule evaluators → 'rule.condition' for the
// alarm engine. Builds each source's effective rule set, ticks on-delays and heartbeats on a timer,
// and turns device-reported point faults (e.g. sentinel 0xE5E5) into a fault-level condition per point
// that clears on the point's next good value.
import type { Rule } from '../../config/sections/rules.js';
import type { ResolvedSource } from '../drivers/driver.js';
import type { RuntimeContext, Stage, StageFactory } from '../pipeline/stage.js';
import type { Measurement, PointFault, SourceStatus } from '../pipeline/types.js';
import { composeAlarmText, defaultAction } from '../alarms/text.js';
import { alarmIdOf, emitCondition, type RuleCondition } from './condition.js';
import { describeRule } from './describe.js';
import { effectiveRules, SENSOR_FAULT_RULE_ID } from './effective.js';
import { createEvaluator } from './registry.js';
import { inRuleUnit, ruleUnit } from './rule-units.js';
import type { RuleChange, RuleEvaluator, RuleStateLookup, RuleTime } from './types.js';

/** How often on-delays, heartbeats and time windows are re-checked without a measurement. */
export const RULE_TICK_MS = 200;

interface BoundRule {
  readonly key: string;
  readonly source: ResolvedSource;
  readonly rule: Rule;
  readonly evaluator: RuleEvaluator;
  /** The unit the rule's limits are in; measurements are converted to it first. */
  readonly unit: string | undefined;
  lastActiveMono: number | undefined;
  lastUnit: string | undefined;
}

export class RulesEngine implements RuleStateLookup {
  private readonly bySource = new Map<string, BoundRule[]>();
  private readonly byKey = new Map<string, BoundRule>();
  private readonly combinations: BoundRule[] = [];
  /** Points with a device-reported fault right now: `source.point` → condition. */
  private readonly faulted = new Map<string, RuleCondition>();

  constructor(
    private readonly context: Pick<RuntimeContext, 'events' | 'clock' | 'log' | 'stats'>,
    sources: readonly ResolvedSource[],
  ) {
    const time = this.time();
    for (const source of sources) {
      const bound = effectiveRules(source.profile, source.config).map((rule): BoundRule => {
        const evaluator = createEvaluator(rule, { source: source.config.id, lookup: this }, time);
        const point = source.resolved.points.find((p) => p.id === evaluator.point);
        const unit = ruleUnit(rule, point);
        return { key: `${source.config.id}/${rule.id}`, source, rule, evaluator, unit, lastActiveMono: undefined, lastUnit: undefined };
      });
      this.bySource.set(source.config.id, bound);
      for (const b of bound) {
        this.byKey.set(b.key, b);
        if (b.rule.kind === 'combination') this.combinations.push(b);
      }
    }
    for (const combination of this.combinations) {
      for (const member of combination.evaluator.members ?? []) {
        if (!this.byKey.has(member)) throw new Error(`sources.${combination.source.config.id}: combination rule "${combination.rule.id}" names unknown rule "${member}"`);
      }
    }
  }

  /** Effective rules per source, for the console and Home Assistant discovery. */
  rules(): ReadonlyMap<string, readonly Rule[]> {
    return new Map([...this.bySource].map(([id, bound]) => [id, bound.map((b) => b.rule)]));
  }

  lastActive(key: string, time: RuleTime): number | undefined {
    const bound = this.byKey.get(key);
    if (!bound) return undefined;
    return bound.evaluator.active() ? time.mono : bound.lastActiveMono;
  }

  private time(): RuleTime {
    const { clock } = this.context;
    return { mono: clock.mono(), wall: clock.now(), synced: clock.synced() };
  }

  measurement(measurement: Measurement): void {
    const bound = this.bySource.get(measurement.source);
    if (!bound) return;
    // Each rule on this point sees the value in its own unit; a unit that does not convert is a fault.
    // Plain loops, and an array of inputs only when a rule needs the value converted: this runs for
    // every measurement of a source with rules.
    let converted: Measurement[] | undefined;
    for (let i = 0; i < bound.length; i++) {
      const b = bound[i]!;
      if (b.evaluator.point !== measurement.point) continue;
      const input = inRuleUnit(measurement, b.unit);
      if (input === undefined) {
        this.unitMismatch(measurement, b.unit!);
        return;
      }
      if (input !== measurement) {
        converted ??= new Array<Measurement>(bound.length).fill(measurement);
        converted[i] = input;
      }
    }
    const time = this.time();
    if (measurement.quality !== 'bad') this.clearFault(measurement, time);
    let changed = false;
    for (let i = 0; i < bound.length; i++) {
      const b = bound[i]!;
      const input = converted === undefined ? measurement : converted[i]!;
      if (b.evaluator.point === measurement.point) b.lastUnit = input.unit;
      changed = this.apply(b, b.evaluator.measure(input, time), time) || changed;
    }
    if (changed) this.recombine(time);
  }

  /** A value whose unit no rule on its point can use: the point's sensor-fault alarm, at once. */
  private unitMismatch(measurement: Measurement, unit: string): void {
    const shown = measurement.unit ?? '(none)';
    this.context.stats.inc('rules.unit_mismatch', { source: measurement.source });
    this.fault({
      source: measurement.source,
      point: measurement.point,
      class: measurement.class,
      code: 'unit_mismatch',
      raw: String(measurement.value),
      text: { zh: `单位 ${shown} 无法换算为规则单位 ${unit}`, en: `unit ${shown} does not convert to the rule's ${unit}` },
      mono: measurement.mono,
      ts: measurement.ts,
      tags: measurement.tags,
    });
  }

  status(status: SourceStatus): void {
    const bound = this.bySource.get(status.source);
    if (!bound) return;
    const time = this.time();
    let changed = false;
    for (const b of bound) changed = this.apply(b, b.evaluator.status?.(status, time), time) || changed;
    if (changed) this.recombine(time);
  }

  tick(): void {
    const time = this.time();
    for (const bound of this.bySource.values()) {
      for (const b of bound) if (b.rule.kind !== 'combination') this.apply(b, b.evaluator.tick(time), time);
    }
    // Combinations also expire by time (a member's `within` runs out), so they are re-checked every tick.
    this.recombine(time);
  }

  fault(fault: PointFault): void {
    const source = this.sourceOf(fault.source);
    if (!source) return;
    // The rules on this point keep their verdict (a raised alarm stays raised) but drop anything pending.
    for (const b of this.bySource.get(fault.source) ?? []) if (b.evaluator.point === fault.point) b.evaluator.inputFault?.();
    const key = `${fault.source}.${fault.point}`;
    const existing = this.faulted.get(key);
    if (existing && existing.value === fault.code) return;
    const point = source.resolved.points.find((p) => p.id === fault.point);
    const condition: RuleCondition = {
      alarmId: alarmIdOf(fault.source, fault.point, SENSOR_FAULT_RULE_ID),
      source: fault.source,
      point: fault.point,
      rule: SENSOR_FAULT_RULE_ID,
      kind: 'point_fault',
      class: fault.class,
      level: 'fault',
      latch: false,
      active: true,
      value: fault.code,
      text: composeAlarmText({ tags: fault.tags, subject: point?.name, value: undefined, unit: undefined, what: fault.text, action: defaultAction('fault', fault.class) }),
      suppress: [],
      members: [],
      tags: fault.tags,
      mono: fault.mono,
    };
    this.faulted.set(key, condition);
    this.context.stats.inc('rules.point_fault', { source: fault.source });
    emitCondition(this.context.events, condition);
  }

  private clearFault(measurement: Measurement, time: RuleTime): void {
    if (this.faulted.size === 0) return; // the usual case: no key string built per measurement
    const key = `${measurement.source}.${measurement.point}`;
    const existing = this.faulted.get(key);
    if (!existing) return;
    this.faulted.delete(key);
    emitCondition(this.context.events, { ...existing, active: false, value: measurement.value, mono: time.mono });
  }

  private sourceOf(id: string): ResolvedSource | undefined {
    return this.bySource.get(id)?.[0]?.source;
  }

  private recombine(time: RuleTime): void {
    for (const b of this.combinations) this.apply(b, b.evaluator.tick(time), time);
  }

  /** Emits a condition for a change; returns whether something changed. */
  private apply(b: BoundRule, change: RuleChange | undefined, time: RuleTime): boolean {
    if (change === undefined) return false;
    if (!change.active) b.lastActiveMono = time.mono;
    const { rule, source } = b;
    const point = b.evaluator.point;
    const resolvedPoint = point === undefined ? undefined : source.resolved.points.find((p) => p.id === point);
    const members = rule.kind === 'combination' ? (b.evaluator.members ?? []).map((key) => this.alarmIdOfKey(key)) : [];
    // Numbers belong in the text ("42 cm"); a state label ("smoke") would only repeat the rule's own text.
    const showValue = rule.kind === 'threshold' || rule.kind === 'window';
    this.context.stats.inc('rules.change', { source: source.config.id, rule: rule.id, active: String(change.active) });
    emitCondition(this.context.events, {
      alarmId: alarmIdOf(source.config.id, point, rule.id),
      source: source.config.id,
      point,
      rule: rule.id,
      kind: rule.kind,
      class: resolvedPoint?.class ?? source.profile.class,
      level: rule.level,
      latch: rule.latch,
      active: change.active,
      value: change.value,
      text: composeAlarmText({
        tags: source.tags,
        subject: resolvedPoint?.name ?? (point === undefined ? source.profile.name : undefined),
        value: showValue ? change.value : undefined,
        unit: b.lastUnit ?? resolvedPoint?.unit,
        what: describeRule(rule),
        action: rule.action ?? defaultAction(rule.level, resolvedPoint?.class ?? source.profile.class),
      }),
      suppress: rule.suppress,
      members,
      tags: source.tags,
      mono: time.mono,
    });
    return true;
  }

  private alarmIdOfKey(key: string): string {
    const b = this.byKey.get(key)!;
    return alarmIdOf(b.source.config.id, b.evaluator.point, b.rule.id);
  }
}

export class RulesStage implements Stage {
  readonly name = 'rules';
  readonly engine: RulesEngine;
  private readonly unsubscribe: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly context: RuntimeContext) {
    this.engine = new RulesEngine(context, context.sources);
  }

  start(): void {
    const { events } = this.context;
    this.unsubscribe.push(
      events.on('measurement', (m) => this.engine.measurement(m)),
      events.on('fault', (f) => this.engine.fault(f)),
      events.on('source.status', (s: SourceStatus) => this.engine.status(s)),
    );
    this.timer = setInterval(() => this.engine.tick(), RULE_TICK_MS);
    this.timer.unref();
  }

  stop(): void {
    for (const off of this.unsubscribe.splice(0)) off();
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** Rules run whenever there are sources; a source without rules still gets its "sensor silent" heartbeat. */
export const rulesStage: StageFactory = (context) => (context.sources.length === 0 ? undefined : new RulesStage(context));
