// An mqtt-notice actuator running: one local-broker client publishing retained notices per alarm and area.
import type { ResolvedSource } from '../../drivers/driver.js';
import type { LocalText } from '../../pipeline/types.js';
import { effectiveRules } from '../../rules/effective.js';
import type { ActuatorFactory } from '../actuator.js';
import { areaOf, MqttNotice, type RuleTextOf } from './mqtt-notice.js';
import type { MqttNoticeConfig } from './options.js';

export const startMqttNotice: ActuatorFactory<MqttNoticeConfig> = async (config, context) => {
  const { runtime, board, log } = context;
  const broker = context.localBroker();
  if (!broker) throw new Error(`actuators.${config.id}: a ${config.type} actuator needs the local broker (localBroker in the site config)`);
  const client = broker.connect('notice');
  const notice = new MqttNotice(config, client, log, runtime.stats, ruleTextOf(runtime.sources));
  void notice.scanStale(() => board.list());
  // Every area as it is now, so a display's retained summary from before a restart is replaced.
  for (const [area, tags] of areasOf(runtime.sources)) notice.publishArea(area, tags, board.list(), runtime.clock.now());
  return {
    onAlarm: (event, view, current, now) => notice.onAlarm(event, view, current, now),
    stop: () => client.endAsync(),
  };
};

/** The rule texts of every source's effective rules, for cleared notices. */
function ruleTextOf(sources: readonly ResolvedSource[]): RuleTextOf {
  const texts = new Map<string, LocalText>();
  for (const source of sources) {
    for (const rule of effectiveRules(source.profile, source.config)) if (rule.text) texts.set(`${source.config.id}/${rule.id}`, rule.text);
  }
  return (source, rule) => texts.get(`${source}/${rule}`);
}

/** Each area the sources are in, with the tags that name it. */
function areasOf(sources: readonly ResolvedSource[]): Map<string, { building?: string }> {
  const areas = new Map<string, { building?: string }>();
  for (const source of sources) areas.set(areaOf(source.tags), { building: source.tags.building });
  return areas;
}
