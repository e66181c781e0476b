// The simulated fleet in a worker thread of its own (its event loop is not the honest gateway's, so the
// honest gateway's latencies are not the fleet's queueing). Driven by messages from bench/fleet/run.ts:
// start (all connect at once: the storm), connected, take (samples so far), cut, stop.
import { parentPort, workerData } from 'node:worker_threads';
import { SimGateway, type SimGatewayOptions, type SimSamples } from './sim-gateway.js';

export interface FleetTask {
  readonly gateways: readonly { readonly gateway: string; readonly password: string; readonly localAddress: string }[];
  readonly common: Omit<SimGatewayOptions, 'gateway' | 'password' | 'localAddress'>;
}

export type FleetRequest = { id: number; cmd: 'start' | 'connected' | 'take' | 'cut' | 'stop' };
export interface FleetSamples extends Omit<SimSamples, 'receipted'> {
  /** Receipted batches as gateway → batch timestamps. */
  receipted: Record<string, number[]>;
}

const task = workerData as FleetTask;
const fleet = task.gateways.map((g) => new SimGateway({ ...task.common, ...g }));

function take(): FleetSamples {
  const out: FleetSamples = { pubackMs: [], receiptMs: [], connectMs: [], receipted: {}, refused: 0, resends: 0, dropped: 0, connectErrors: 0, busyRefusals: 0 };
  fleet.forEach((sim, i) => {
    const s = sim.take();
    for (const v of s.pubackMs) out.pubackMs.push(v);
    for (const v of s.receiptMs) out.receiptMs.push(v);
    for (const v of s.connectMs) out.connectMs.push(v);
    if (s.receipted.length > 0) out.receipted[task.gateways[i]!.gateway] = s.receipted.map((r) => r.ts);
    out.refused += s.refused;
    out.resends += s.resends;
    out.dropped += s.dropped;
    out.connectErrors += s.connectErrors;
    out.busyRefusals += s.busyRefusals;
  });
  return out;
}

parentPort!.on('message', (req: FleetRequest) => {
  const reply = (result: unknown) => parentPort!.postMessage({ id: req.id, result });
  switch (req.cmd) {
    case 'start':
      for (const sim of fleet) sim.start();
      return reply(null);
    case 'connected':
      return reply(fleet.reduce((n, sim) => n + (sim.connected ? 1 : 0), 0));
    case 'take':
      return reply(take());
    case 'cut':
      for (const sim of fleet) sim.cut();
      return reply(null);
    case 'stop':
      void Promise.all(fleet.map((sim) => sim.stop())).then(() => reply(null));
  }
});
