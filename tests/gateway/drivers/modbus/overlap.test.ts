// A finished poll's events go out after the next request is on the wire (bus-poller.ts deliver()), so the
// listeners' work overlaps the slave's turnaround; the wire still carries one request at a time and the
// events keep their order. A scripted transport that answers 1 ms after each request, as a slave does.
import { afterEach, describe, expect, it } from 'vitest';
import { BusPoller } from '../../../../gateway/drivers/modbus/bus-poller.js';
import type { ReadRequest } from '../../../../gateway/drivers/modbus/plan.js';
import type { ReadResult } from '../../../../gateway/drivers/modbus/transport.js';
import { waitFor } from '../../../helpers/wait.js';
import { onesFor, pollerHarness, scriptedBus } from './poller-fixture.js';

const SOURCES = [
  '{ id: meter-1, profile: eastron/sdm120, bus: b1, unit: 1, poll: 1s, tags: { building: "1" } }',
  '{ id: level-1, profile: generic/qdy30a, bus: b1, unit: 2, poll: 1s, tags: { building: "1" } }',
];

describe('Modbus poll events overlap the next request', () => {
  let poller: BusPoller | undefined;
  afterEach(async () => poller?.stop());

  it('sends the next source’s first request before the finished poll’s reading and status go out, one request at a time, in order', async () => {
    const { events, poller: pollerOver } = pollerHarness(SOURCES);
    const log: string[] = [];
    let inFlight = 0;
    let mostInFlight = 0;
    events.on('reading', (r) => log.push(`reading ${r.source}`));
    events.on('source.status', (s) => log.push(`status ${s.source} ${s.online ? 'online' : 'offline'}`));
    const transport = scriptedBus((unit: number, request: ReadRequest): Promise<ReadResult> => {
      log.push(`read ${unit}`);
      mostInFlight = Math.max(mostInFlight, ++inFlight);
      return new Promise((resolve) =>
        setTimeout(() => {
          inFlight--;
          resolve(onesFor(request));
        }, 1),
      );
    });
    poller = pollerOver(transport);
    const plan = poller.plan();
    const levelReads = plan.get('level-1')!.length;
    const meterReads = plan.get('meter-1')!.length;
    poller.start();
    await waitFor('both polls delivered', () => log.filter((line) => line.startsWith('status')).length === 2, 10_000, () => log);

    expect(mostInFlight).toBe(1);
    // The alarm-class level sensor goes first; its reading and status follow the meter's first request.
    expect(log).toEqual([
      ...new Array<string>(levelReads).fill('read 2'),
      'read 1',
      'reading level-1',
      'status level-1 online',
      ...new Array<string>(meterReads - 1).fill('read 1'),
      // Nothing is due after the meter, so its events follow its last request.
      'reading meter-1',
      'status meter-1 online',
    ]);
    expect(meterReads).toBeGreaterThan(1);
  });
});
