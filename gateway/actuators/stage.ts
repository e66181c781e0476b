// The actuators stage: GPIO sirens and strobes, the silence/ack button, local MQTT notices and Home
// Assistant discovery, built from `actuators:` in the site config. It listens to 'alarm' events only
// (never to the alarm engine), keeping its own AlarmBoard of the current set. Starts before the alarm
// engine (sink-first), so the first alarm after start-up already drives the siren.
import type { MqttClient } from 'mqtt';
import { AlarmBoard } from '../alarms/board.js';
import type { GpioInput, GpioPort } from '../drivers/gpio/port.js';
import type { RuntimeContext, Stage, StageFactory } from '../pipeline/stage.js';
import { scope, type Logger } from '../../contract/logger.js';
import { parseDuration } from '../shared/units.js';
import type { ResolvedSource } from '../drivers/driver.js';
import type { LocalText } from '../pipeline/types.js';
import { effectiveRules } from '../rules/effective.js';
import { GpioAlarmOutput } from './gpio-output.js';
import { HomeAssistant } from './home-assistant.js';
import { areaOf, MqttNotice, type RuleTextOf } from './mqtt-notice.js';
import { SilenceButton } from './silence-button.js';

export class ActuatorsStage implements Stage {
  readonly name = 'actuators';
  readonly board = new AlarmBoard();
  readonly outputs: GpioAlarmOutput[] = [];
  readonly buttons: SilenceButton[] = [];
  readonly notices: MqttNotice[] = [];
  readonly homeAssistants: HomeAssistant[] = [];
  private readonly inputs: GpioInput[] = [];
  private readonly clients: MqttClient[] = [];
  private readonly unsubscribe: (() => void)[] = [];
  private readonly log: Logger;

  constructor(private readonly context: RuntimeContext) {
    this.log = scope(context.log, 'actuators');
  }

  async start(): Promise<void> {
    const { site, events, stats } = this.context;
    for (const config of site.actuators) {
      const log = scope(this.log, config.type, config.id);
      if (config.type === 'gpio') {
        const port = await this.port(config.id);
        if (config.role === 'silence_button') {
          const button = new SilenceButton(config, this.board, (command) => events.emit('command', command));
          const input = await port.input(config.line, {
            edge: 'both',
            debounceMs: parseDuration(config.debounce) ?? 30,
            onError: (error) => {
              stats.inc('actuator.input_error', { actuator: config.id });
              log.error({ line: config.line, err: error }, 'silence button input failed');
            },
          });
          button.attach(input);
          this.inputs.push(input);
          this.buttons.push(button);
          continue;
        }
        const output = await port.output(config.line, { initial: config.activeLow ? 1 : 0 });
        this.outputs.push(
          new GpioAlarmOutput(config, output, (error) => {
            stats.inc('actuator.write_error', { actuator: config.id });
            log.error({ line: config.line, err: error }, 'GPIO write failed');
          }),
        );
        continue;
      }
      const broker = this.context.services.get('localBroker');
      if (!broker) throw new Error(`actuators.${config.id}: a ${config.type} actuator needs the local broker (localBroker in the site config)`);
      if (config.type === 'mqtt-notice') {
        const client = broker.connect('notice');
        this.clients.push(client);
        const notice = new MqttNotice(config, client, log, stats, ruleTextOf(this.context.sources));
        this.notices.push(notice);
        void notice.scanStale(() => this.board.list());
        // Every area as it is now, so a display's retained summary from before a restart is replaced.
        for (const [area, tags] of areasOf(this.context.sources)) notice.publishArea(area, tags, this.board.list(), this.context.clock.now());
        continue;
      }
      const client = broker.connect('homeassistant', {
        will: { topic: `${config.statePrefix}/${site.gateway.id}/availability`, payload: Buffer.from('offline'), qos: 1, retain: true },
      });
      this.clients.push(client);
      const ha = new HomeAssistant(config, site.gateway, this.context.sources, client, log, stats, () => this.context.clock.mono());
      client.on('connect', () => {
        ha.announce();
        client.subscribe(ha.statusTopic(), { qos: 1 });
      });
      client.on('message', (topic, payload) => {
        if (topic === ha.statusTopic()) ha.onStatus(payload.toString('utf8'));
      });
      this.homeAssistants.push(ha);
    }
    this.unsubscribe.push(
      events.on('alarm', (event) => {
        const view = this.board.apply(event);
        const current = this.board.list();
        for (const output of this.outputs) output.update(current);
        for (const notice of this.notices) notice.onAlarm(event, view, current, this.context.clock.now());
        for (const ha of this.homeAssistants) ha.onAlarm(event);
      }),
    );
    if (this.homeAssistants.length > 0) {
      this.unsubscribe.push(
        events.on('measurement', (m) => this.homeAssistants.forEach((ha) => ha.onMeasurement(m))),
        events.on('source.status', (status) => this.homeAssistants.forEach((ha) => ha.onSourceStatus(status))),
      );
    }
  }

  /** The runtime's shared port (onoff on a Pi, the memory port in the demo and tests), as the GPIO driver uses. */
  private async port(actuatorId: string): Promise<GpioPort> {
    try {
      return await this.context.services.gpioPort();
    } catch (error) {
      throw new Error(`actuators.${actuatorId}: no GPIO port: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }

  async stop(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    for (const button of this.buttons.splice(0)) button.stop();
    await Promise.all(this.outputs.splice(0).map((output) => output.stop()));
    // A clean stop says "offline" itself; the broker's last will covers a crash.
    for (const ha of this.homeAssistants.splice(0)) ha.goodbye();
    await Promise.all(this.inputs.splice(0).map((input) => input.close()));
    await Promise.all(this.clients.splice(0).map((client) => client.endAsync()));
    this.notices.splice(0);
  }
}

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

export const actuatorsStage: StageFactory = (context) => (context.site.actuators.length === 0 ? undefined : new ActuatorsStage(context));
