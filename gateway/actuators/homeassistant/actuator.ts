// A homeassistant actuator running: discovery, point and alarm states on the local broker, with a last
// will so Home Assistant shows the gateway offline after a crash.
import type { Actuator, ActuatorFactory } from '../actuator.js';
import { HomeAssistant } from './home-assistant.js';
import type { HomeAssistantConfig } from './options.js';

export interface HomeAssistantActuator extends Actuator {
  readonly homeAssistant: HomeAssistant;
}

export const startHomeAssistant: ActuatorFactory<HomeAssistantConfig> = async (config, context): Promise<HomeAssistantActuator> => {
  const { runtime, log } = context;
  const broker = context.localBroker();
  if (!broker) throw new Error(`actuators.${config.id}: a ${config.type} actuator needs the local broker (localBroker in the site config)`);
  const { site } = runtime;
  const client = broker.connect('homeassistant', {
    will: { topic: `${config.statePrefix}/${site.gateway.id}/availability`, payload: Buffer.from('offline'), qos: 1, retain: true },
  });
  const ha = new HomeAssistant(config, site.gateway, runtime.sources, client, log, runtime.stats, () => runtime.clock.mono());
  client.on('connect', () => {
    ha.announce();
    client.subscribe(ha.statusTopic(), { qos: 1 });
  });
  client.on('message', (topic, payload) => {
    if (topic === ha.statusTopic()) ha.onStatus(payload.toString('utf8'));
  });
  return {
    homeAssistant: ha,
    onAlarm: (event) => ha.onAlarm(event),
    onMeasurement: (measurement) => ha.onMeasurement(measurement),
    onSourceStatus: (status) => ha.onSourceStatus(status),
    async stop() {
      // A clean stop says "offline" itself; the broker's last will covers a crash.
      ha.goodbye();
      await client.endAsync();
    },
  };
};
