// What the bus-poller tests share: a site whose sources sit on one TCP bus, their resolved sources, a manual
// clock, an event bus on which a failing listener fails the test, and a poller over the test's transport.
import { parseSiteConfig } from '../../../../config/load-site.js';
import { silentLogger } from '../../../../contract/logger.js';
import { Stats } from '../../../../contract/stats.js';
import { BusPoller } from '../../../../gateway/drivers/modbus/bus-poller.js';
import type { ReadRequest } from '../../../../gateway/drivers/modbus/plan.js';
import type { ModbusTransport, ReadResult } from '../../../../gateway/drivers/modbus/transport.js';
import { Services } from '../../../../gateway/pipeline/services.js';
import { resolveSources } from '../../../../gateway/runtime.js';
import { throwingEventBus } from '../../../helpers/runtime-context.js';
import { ManualClock } from '../../rules/site.js';

/** `sources`: the YAML flow entries of the sources, each on bus b1. */
export function pollerHarness(sources: readonly string[]) {
  const yaml = ['version: 1', 'gateway: { township: tw, compound: c1, id: gw-1 }', 'buses:', '  - { id: b1, type: tcp, host: 127.0.0.1, port: 5020 }', 'sources:', ...sources.map((s) => `  - ${s}`), ''].join('\n');
  const loaded = parseSiteConfig('site.yaml', yaml);
  const resolved = resolveSources(loaded);
  const clock = new ManualClock();
  const events = throwingEventBus();
  const stats = new Stats();
  return {
    clock,
    events,
    stats,
    poller: (transport: ModbusTransport) => new BusPoller({ log: silentLogger(), stats, clock, events, site: loaded.config, sources: resolved, services: new Services() }, transport, resolved),
  };
}

/** Bus b1 as the poller sees it, answering each read with `read` (the test scripts the slave). */
export function scriptedBus(read: (unit: number, request: ReadRequest) => Promise<ReadResult>, timeoutMs = 500): ModbusTransport {
  const transport = { bus: { id: 'b1' }, timeoutMs, interFrameMs: 0, discardedBytes: 0, describe: () => 'scripted bus b1', read, close: () => Promise.resolve() };
  return transport as unknown as ModbusTransport;
}

/** A slave's answer to a register read: every word 1. */
export const onesFor = (request: ReadRequest): ReadResult => ({ kind: 'words', words: new Array<number>(request.count).fill(1) });
