// Doctor's GB/T 26875 check against the simulated transmission device on loopback: it names the device
// that connected, catches a wrong configured address, says when nothing connects (with the loopback hint)
// and when the port is taken (the gateway running), and never confirms what the device sent.
import { createServer } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSiteConfig } from '../../../config/load-site.js';
import { checkGbt26875Sources } from '../../../gateway/installer/doctor-gbt26875.js';
import { COMPONENT_STATUS, Gbt26875DeviceSimulator } from '../../../gateway/sim/gbt26875-device.js';
import { freePort, tempDir } from '../../helpers/peers.js';

const stops: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

function site(port: number, address = '000000000379') {
  const dir = tempDir('doctor-gbt');
  stops.push(() => dir.remove());
  const file = join(dir.path, 'site.yaml');
  const text = [
    'version: 1',
    'gateway: { township: t1, compound: c1, id: gw1 }',
    'sources:',
    '  - id: panel-1',
    '    profile: generic/gbt26875-transmission-device',
    '    tags: { building: "3" }',
    `    gbt26875: { listen: { host: 127.0.0.1, port: ${port} }, address: "${address}" }`,
  ].join('\n');
  writeFileSync(file, text);
  return parseSiteConfig(file, text);
}

function device(port: number): Gbt26875DeviceSimulator {
  const sim = new Gbt26875DeviceSimulator({ host: '127.0.0.1', port, address: '000000000379', centreAddress: '000000000000', reconnectMs: 100, heartbeatMs: 60_000, ackTimeoutMs: 5000, maxRetries: 0 });
  stops.push(() => sim.stop());
  sim.start();
  return sim;
}

describe('doctor: GB/T 26875 sources', () => {
  it('passes and names the device that connected; what it sent is not confirmed', async () => {
    const port = await freePort();
    const sim = device(port);
    const sent = sim.componentState({ system: { type: 1, address: 1 }, type: 42, area: 1, position: 1 }, COMPONENT_STATUS.fire, '测试');
    const [result] = await checkGbt26875Sources(site(port), { waitMs: 10_000 });
    expect(result).toMatchObject({ status: 'pass' });
    expect(result!.detail.en).toContain('address 000000000379');
    expect(sim.seen.confirms).toBe(0);
    await sim.stop();
    await expect(sent).resolves.toBe('timeout');
  });

  it('fails on a wrong configured address', async () => {
    const port = await freePort();
    device(port);
    const [result] = await checkGbt26875Sources(site(port, '0000000000aa'), { waitMs: 10_000 });
    expect(result).toMatchObject({ status: 'fail' });
    expect(result!.detail.en).toContain('configured device address is 0000000000aa');
  });

  it('fails with the loopback hint when nothing connects, and is unknown when the port is taken', async () => {
    const port = await freePort();
    const [silent] = await checkGbt26875Sources(site(port), { waitMs: 300 });
    expect(silent).toMatchObject({ status: 'fail' });
    expect(silent!.detail.en).toContain('loopback');
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(port, '127.0.0.1', () => resolve()));
    stops.push(() => new Promise<void>((resolve) => taken.close(() => resolve())));
    const [busy] = await checkGbt26875Sources(site(port), { waitMs: 300 });
    expect(busy).toMatchObject({ status: 'unknown' });
  });
});
