// The demo compound's building-1 household meters: the DL/T 645 meter simulator serving every source on
// the config's dlt645 bus, behind a simulated transparent serial server (TCP on 127.0.0.1), so the demo
// needs neither an RS-485 adapter nor socat. On site the same sources sit on `port: /dev/ttyUSB1`.
import type { Document } from 'yaml';
import type { LoadedSite } from '../../config/load-site.js';
import type { ResolvedSource } from '../../gateway/drivers/driver.js';
import { Dlt645MeterSimulator } from '../../gateway/sim/dlt645-meter.js';
import { meterScenarioFor } from '../../gateway/sim/dlt645-meter-scenarios.js';

/** The demo's meter bus id in config/examples/demo-compound.yaml. */
export const DEMO_METER_BUS = 'b1-meters';

/** Points the meter bus at another TCP port (tests run demos side by side). */
export function setDemoMeterPort(doc: Document, port: number): void {
  const buses = doc.get('buses') as { items: { get(key: string): unknown }[] };
  const index = buses.items.findIndex((item) => item.get('id') === DEMO_METER_BUS);
  if (index >= 0) doc.setIn(['buses', index, 'tcpPort'], port);
}

/** Starts the simulated meters for the sources on the demo's dlt645 bus; resolves once they listen. */
export async function startDemoMeters(site: LoadedSite, sources: readonly ResolvedSource[]): Promise<Dlt645MeterSimulator> {
  const bus = site.config.buses.find((b) => b.id === DEMO_METER_BUS);
  if (bus?.type !== 'dlt645' || bus.host === undefined || bus.tcpPort === undefined) throw new Error(`the demo config needs its simulated dlt645 bus "${DEMO_METER_BUS}" with host and tcpPort`);
  const meters = sources
    .filter((s) => s.bus?.id === bus.id)
    .map((s, index) => ({ address: s.config.meter!, profile: s.profile, scenario: meterScenarioFor(s.profile.id, index + 1) }));
  const simulator = new Dlt645MeterSimulator(meters);
  await simulator.listenTcp(bus.host, bus.tcpPort);
  return simulator;
}
