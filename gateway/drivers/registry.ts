// Driver registry: the profile's `driver:` names the folder. Loaded lazily so that a gateway without
// OPC UA sources never loads node-opcua (about 40 MB of RSS on a Pi).
import type { DriverFactory } from './driver.js';

const LOADERS: Readonly<Record<string, () => Promise<DriverFactory>>> = {
  modbus: async () => (await import('./modbus/driver.js')).createModbusDriver,
  serial: async () => (await import('./serial/driver.js')).createSerialDriver,
  mqtt: async () => (await import('./mqtt/driver.js')).createMqttDriver,
  opcua: async () => (await import('./opcua/driver.js')).createOpcuaDriver,
  gpio: async () => (await import('./gpio/driver.js')).createGpioDriver,
  gbt26875: async () => (await import('./gbt26875/driver.js')).createGbt26875Driver,
  dlt645: async () => (await import('./dlt645/driver.js')).createDlt645Driver,
};

export const REGISTERED_DRIVERS = Object.keys(LOADERS);

export async function loadDriver(name: string): Promise<DriverFactory> {
  const loader = LOADERS[name];
  if (!loader) throw new Error(`no driver "${name}" is registered (registered: ${REGISTERED_DRIVERS.join(', ')})`);
  return loader();
}
