// Home Assistant's MQTT discovery rules, written down from HA's documentation (not from our code), so a
// test can hold every config the gateway announces against them:
// - https://www.home-assistant.io/integrations/sensor/#device-class (device classes and their units)
// - https://www.home-assistant.io/integrations/binary_sensor/#device-class
// - https://developers.home-assistant.io/docs/core/entity/sensor/ (state_class, enum rules)
// - https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery (topic layout, device, via_device)
// Only the classes our profiles can produce are listed; an unlisted class is a failure to look at.

/** Sensor device class → units HA accepts for it (HA's spelling). */
const SENSOR_UNITS: Readonly<Record<string, readonly string[]>> = {
  apparent_power: ['VA'],
  current: ['A', 'mA'],
  distance: ['km', 'm', 'cm', 'mm', 'mi', 'yd', 'in', 'ft'],
  duration: ['d', 'h', 'min', 's', 'ms'],
  energy: ['Wh', 'kWh', 'MWh', 'GWh', 'TWh', 'MJ', 'GJ'],
  frequency: ['Hz', 'kHz', 'MHz', 'GHz'],
  humidity: ['%'],
  power: ['W', 'kW', 'MW', 'GW', 'TW'],
  pressure: ['Pa', 'hPa', 'kPa', 'bar', 'cbar', 'mbar', 'mmHg', 'inHg', 'psi'],
  reactive_power: ['var'],
  temperature: ['°C', '°F', 'K'],
  voltage: ['V', 'mV', 'µV', 'kV', 'MV'],
};
const STATE_CLASSES = ['measurement', 'total', 'total_increasing'];
/** Classes HA refuses with state_class measurement (it keeps them as running totals). */
const TOTAL_ONLY = new Set(['energy']);
const BINARY_CLASSES = new Set([
  'battery', 'battery_charging', 'carbon_monoxide', 'cold', 'connectivity', 'door', 'garage_door', 'gas', 'heat', 'light', 'lock',
  'moisture', 'motion', 'moving', 'occupancy', 'opening', 'plug', 'power', 'presence', 'problem', 'running', 'safety', 'smoke',
  'sound', 'tamper', 'update', 'vibration', 'window',
]);
const TOPIC = /^([^/]+)\/(sensor|binary_sensor)\/(?:[A-Za-z0-9_-]+\/)?[A-Za-z0-9_-]+\/config$/;

export interface DiscoveryConfig {
  readonly topic: string;
  readonly payload: Record<string, unknown>;
}

/** Every way the configs break HA's rules, one line each; empty when they all hold. */
export function discoveryProblems(configs: readonly DiscoveryConfig[]): string[] {
  const problems: string[] = [];
  const devices = new Set<string>();
  const uniqueIds = new Map<string, string>();
  for (const { payload } of configs) {
    const device = payload.device as { identifiers?: unknown } | undefined;
    if (Array.isArray(device?.identifiers)) for (const id of device.identifiers) devices.add(String(id));
  }
  for (const { topic, payload: p } of configs) {
    const bad = (what: string) => problems.push(`${topic}: ${what}`);
    const component = TOPIC.exec(topic)?.[2];
    if (!component) bad('topic is not <prefix>/<component>/[<node_id>/]<object_id>/config with [A-Za-z0-9_-] ids');
    if (typeof p.unique_id !== 'string' || p.unique_id === '') bad('no unique_id');
    else if (uniqueIds.has(p.unique_id)) bad(`unique_id ${p.unique_id} also used by ${uniqueIds.get(p.unique_id)}`);
    else uniqueIds.set(p.unique_id, topic);
    if (typeof p.state_topic !== 'string' || p.state_topic === '' || /[+#]/.test(p.state_topic)) bad('state_topic missing or a filter');
    if (typeof p.name !== 'string' || p.name === '') bad('no name');
    const device = p.device as Record<string, unknown> | undefined;
    if (!device || !Array.isArray(device.identifiers) || device.identifiers.length === 0) bad('no device identifiers');
    else if (typeof device.name !== 'string' || device.name === '') bad('device has no name');
    if (device?.via_device !== undefined && !devices.has(String(device.via_device))) bad(`via_device ${String(device.via_device)} is no announced device`);
    if (p.availability_topic !== undefined && (p.payload_available === undefined || p.payload_not_available === undefined)) bad('availability_topic without its payloads');
    if (p.availability !== undefined) {
      if (p.availability_topic !== undefined) bad('both availability and availability_topic');
      if (!Array.isArray(p.availability) || p.availability.some((a: { topic?: unknown }) => typeof a?.topic !== 'string' || /[+#]/.test(a.topic))) bad('availability is not a list of {topic}');
      if (p.availability_mode !== undefined && !['all', 'any', 'latest'].includes(String(p.availability_mode))) bad(`availability_mode ${String(p.availability_mode)} is not one of HA's`);
    }
    const deviceClass = p.device_class as string | undefined;
    if (component === 'binary_sensor') {
      if (deviceClass !== undefined && !BINARY_CLASSES.has(deviceClass)) bad(`binary_sensor device_class ${deviceClass} is not one of HA's`);
      if (typeof p.payload_on !== 'string' || typeof p.payload_off !== 'string' || p.payload_on === p.payload_off) bad('payload_on/payload_off missing or equal');
      for (const key of ['unit_of_measurement', 'state_class', 'options']) if (key in p) bad(`${key} on a binary_sensor`);
      continue;
    }
    if (component !== 'sensor') continue;
    const unit = p.unit_of_measurement as string | undefined;
    const stateClass = p.state_class as string | undefined;
    if (stateClass !== undefined && !STATE_CLASSES.includes(stateClass)) bad(`state_class ${stateClass} is not one of HA's`);
    if (deviceClass === 'enum') {
      const options = p.options;
      if (!Array.isArray(options) || options.length === 0 || options.some((o) => typeof o !== 'string')) bad('enum without a list of string options');
      if (unit !== undefined || stateClass !== undefined) bad('enum with a unit or a state_class');
      continue;
    }
    if (p.options !== undefined) bad('options on a sensor that is not device_class enum');
    if (deviceClass !== undefined) {
      const units = SENSOR_UNITS[deviceClass];
      if (!units) bad(`sensor device_class ${deviceClass} is not one this test knows from HA`);
      else if (unit === undefined || !units.includes(unit)) bad(`unit ${String(unit)} is not one HA accepts for ${deviceClass} (${units.join(' ')})`);
      if (TOTAL_ONLY.has(deviceClass) && stateClass !== 'total' && stateClass !== 'total_increasing') bad(`${deviceClass} needs state_class total or total_increasing, has ${String(stateClass)}`);
    }
    // A sensor with a unit and no state_class gets no long-term statistics in HA.
    if (unit !== undefined && stateClass === undefined) bad(`unit ${unit} but no state_class`);
    if (unit !== undefined && /RH$/.test(unit)) bad(`unit ${unit} is not HA's spelling`);
  }
  return problems;
}
