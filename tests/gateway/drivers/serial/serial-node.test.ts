// The serial-node driver end to end over a real socat pty pair: the node simulator on one end (its own
// SerialPort), the gateway's driver + decoder on the other. Readings become measurements through a
// test-only profile; lost ACKs, garbage, a killed node and a late serial port are the fault cases.
import { Services } from '../../../../gateway/pipeline/services.js';
import { SerialPort } from 'serialport';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { siteConfig, type SiteConfig } from '../../../../config/site.js';
import { NodeSimulator, type NodeSimulatorOptions } from '../../../../firmware-bridge/node-simulator.js';
import { ProfileIndex } from '../../../../gateway/devices/profile-index.js';
import type { Driver } from '../../../../gateway/drivers/driver.js';
import { serialDriverWith } from '../../../../gateway/drivers/serial/driver.js';
import { Decoder } from '../../../../gateway/pipeline/decoder.js';
import type { Measurement, SourceStatus } from '../../../../gateway/pipeline/types.js';
import { resolveSources } from '../../../../gateway/runtime.js';
import { HonestClock } from '../../../../gateway/time/honest-clock.js';
import { silentLogger } from '../../../../contract/logger.js';
import { Stats } from '../../../../contract/stats.js';
import { tempDir } from '../../../helpers/peers.js';
import { startPtyPair, type PtyPair } from './pty-pair.js';
import { waitFor } from '../../../helpers/wait.js';
import { throwingEventBus } from '../../../helpers/runtime-context.js';

const PROFILES = fileURLToPath(new URL('./profiles/', import.meta.url));

interface Gateway {
  readonly stats: Stats;
  readonly measurements: Measurement[];
  readonly statuses: SourceStatus[];
  stop(): Promise<void>;
}

async function startGateway(port: string): Promise<Gateway> {
  const config: SiteConfig = siteConfig.parse({
    version: 1,
    gateway: { township: 't1', compound: 'c1', id: 'gw-1' },
    buses: [{ id: 'nodes', type: 'serial-node', port, baud: 115200 }],
    sources: [{ id: 'smoke-3-1', profile: 'lastmile/smoke-node', bus: 'nodes', node: 7, tags: { building: '3', unit: '1' } }],
  });
  const sources = resolveSources({ file: 'serial-node.test', config, profiles: ProfileIndex.load([PROFILES]) });
  const log = silentLogger();
  const stats = new Stats();
  const clock = new HonestClock({ synced: true });
  const events = throwingEventBus();
  const measurements: Measurement[] = [];
  const statuses: SourceStatus[] = [];
  events.on('measurement', (m) => measurements.push(m));
  events.on('source.status', (s) => statuses.push(s));
  const decoder = new Decoder({ events, clock, log, stats }, sources);
  decoder.start();
  const driver: Driver = serialDriverWith({ ackTimeout: '100ms', reopenDelay: '200ms' })({ log, stats, clock, events, site: config, sources, services: new Services() });
  driver.init();
  await driver.start();
  return {
    stats,
    measurements,
    statuses,
    stop: async () => {
      await driver.stop();
      decoder.stop();
    },
  };
}

async function openNodePort(path: string): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate: 115200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
  return port;
}

async function closePort(port: SerialPort): Promise<void> {
  if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
}

const NODE: NodeSimulatorOptions = { nodeId: 7, heartbeatMs: 200, ackTimeoutMs: 100, maxRetries: 3, helloRetryMs: 100, batteryMv: 3012, firmware: { major: 1, minor: 2, patch: 3 } };

describe('serial-node driver over a socat pty pair', () => {
  let pty: PtyPair;
  let gateway: Gateway;
  let nodePort: SerialPort;
  let sim: NodeSimulator;
  const values = (point: string) => gateway.measurements.filter((m) => m.point === point).map((m) => m.value);

  beforeAll(async () => {
    pty = await startPtyPair();
    gateway = await startGateway(pty.b);
    nodePort = await openNodePort(pty.a);
    sim = new NodeSimulator(nodePort, NODE);
    sim.start();
    await sim.ready();
  });

  afterAll(async () => {
    sim?.stop();
    if (nodePort) await closePort(nodePort);
    await gateway?.stop();
    await pty?.stop();
  });

  it('brings the source online on HELLO and turns DATA, EVENT and HEARTBEAT into measurements', async () => {
    await waitFor('source online', () => gateway.statuses.some((s) => s.online));
    expect(gateway.statuses[0]).toMatchObject({ source: 'smoke-3-1', online: true });
    expect(sim.agreedHeartbeatMs).toBe(200);

    await sim.sendData([
      { index: 0, type: 'u16', value: 150 },
      { index: 1, type: 'i16', value: 215 },
    ]);
    await sim.sendEvent('smoke', true);
    await waitFor('smoke and battery measurements', () => values('battery').length > 0 && values('smoke').length > 0);
    expect(values('obscuration')).toEqual([1.5]);
    expect(values('temperature')).toEqual([21.5]);
    expect(values('smoke')).toEqual(['alarm']);
    expect(values('battery')[0]).toBe(3.012);
    // From the HELLO: a node retransmits it until acknowledged, so a loaded box may see it twice.
    expect(values('firmware').length).toBeGreaterThanOrEqual(1);
    expect(new Set(values('firmware'))).toEqual(new Set(['1.2.3']));
    const temperature = gateway.measurements.find((m) => m.point === 'temperature')!;
    expect(temperature).toMatchObject({ class: 'temperature', unit: '°C', quality: 'good', tags: { building: '3', unit: '1', source: 'smoke-3-1' } });
  });

  it('retransmits when ACKs are lost and delivers the reading once', async () => {
    const before = values('obscuration').length;
    sim.dropNextAnswers(2, 'data');
    const outcome = await sim.sendData([{ index: 0, type: 'u16', value: 777 }]);
    expect(outcome).toMatchObject({ kind: 'acked', attempts: 3 });
    await new Promise((r) => setTimeout(r, 150));
    expect(values('obscuration').slice(before)).toEqual([7.77]);
    expect(gateway.stats.counter('serial.duplicate', { bus: 'nodes', source: 'smoke-3-1' })).toBe(2);
  });

  it('resyncs after garbage on the line and counts what it dropped', async () => {
    const dropped = gateway.stats.counter('serial.dropped_bytes', { bus: 'nodes' });
    const debugText = Buffer.from('\r\nE (1234) i2c: timeout\r\n', 'latin1'); // a node printing a log line
    sim.injectGarbage(debugText);
    sim.injectGarbage(Buffer.from([0xa5, 0x5a, 0x02, 0x11, 0x00, 0x07, 0x01, 0x01, 0x00, 0x00])); // an EVENT with a bad CRC
    sim.injectGarbage(Buffer.from([0xa5, 0x5a, 0xf0])); // a false start claiming 240 bytes
    expect(await sim.sendEvent('smoke', false)).toMatchObject({ kind: 'acked' });
    await waitFor('smoke cleared', () => values('smoke').at(-1) === 'clear');
    expect(values('smoke')).toEqual(['alarm', 'clear']);
    expect(gateway.stats.counter('serial.dropped_bytes', { bus: 'nodes' }) - dropped).toBe(debugText.length + 10 + 3);
    expect(gateway.stats.counter('serial.crc_error', { bus: 'nodes' })).toBeGreaterThanOrEqual(1);
    expect(gateway.statuses.at(-1)).toMatchObject({ online: true });
  });

  it('marks the source offline when the node dies, and online again when it comes back', async () => {
    sim.stop();
    await closePort(nodePort);
    const killedAt = performance.now();
    await waitFor('source offline', () => gateway.statuses.at(-1)?.online === false, 5000);
    // Window: 3 heartbeats of 200 ms + retransmit budget 3 × 100 ms from the last heartbeat, which came at most 200 ms before the kill.
    expect(performance.now() - killedAt).toBeGreaterThanOrEqual(600);
    expect(gateway.statuses.at(-1)).toMatchObject({ source: 'smoke-3-1', online: false, lastError: { kind: 'timeout', message: expect.stringMatching(/^node 7 silent for \d+\.\d s \(heartbeat every 0\.2 s\)$/) } });

    nodePort = await openNodePort(pty.a);
    sim = new NodeSimulator(nodePort, NODE);
    sim.start();
    await sim.ready();
    await waitFor('source back online', () => gateway.statuses.at(-1)?.online === true);
    const transitions = gateway.statuses.map((s) => s.online).filter((online, i, all) => i === 0 || all[i - 1] !== online);
    expect(transitions).toEqual([true, false, true]);
  });
});

describe('serial-node driver when the serial port is missing', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('reports the source offline (connection) and starts talking once the port appears', async () => {
    const dir = tempDir('serial-late');
    cleanups.push(async () => dir.remove());
    const pty = await startPtyPair('serial-late-pty');
    cleanups.push(() => pty.stop());
    // The gateway is configured for a port that does not exist yet: the USB adapter is not plugged in.
    const late = `${dir.path}/ttyUSB0`;
    const gateway = await startGateway(late);
    cleanups.push(() => gateway.stop());
    await waitFor('offline status', () => gateway.statuses.length > 0);
    expect(gateway.statuses[0]).toMatchObject({ online: false, lastError: { kind: 'connection', message: expect.stringContaining(`cannot open ${late}`) } });

    const { symlinkSync } = await import('node:fs');
    symlinkSync(pty.b, late);
    const port = await openNodePort(pty.a);
    cleanups.push(() => closePort(port));
    const sim = new NodeSimulator(port, NODE);
    cleanups.push(async () => sim.stop());
    sim.start();
    await sim.ready();
    await waitFor('online after the port appeared', () => gateway.statuses.at(-1)?.online === true);
    expect(gateway.stats.counter('serial.open_failed', { bus: 'nodes' })).toBeGreaterThanOrEqual(1);
  });

  it('reports offline (connection) when the line disappears mid-run, and recovers when it is back', async () => {
    const dir = tempDir('serial-unplug');
    cleanups.push(async () => dir.remove());
    const paths = { a: `${dir.path}/node`, b: `${dir.path}/ttyUSB0` };
    let pty = await startPtyPair('unused', paths);
    cleanups.push(() => pty.stop());
    const gateway = await startGateway(paths.b);
    cleanups.push(() => gateway.stop());
    let port = await openNodePort(paths.a);
    let sim = new NodeSimulator(port, NODE);
    cleanups.push(async () => {
      sim.stop();
      await closePort(port);
    });
    sim.start();
    await sim.ready();
    await waitFor('online', () => gateway.statuses.at(-1)?.online === true);

    // The node falls silent first (as a node does while its adapter is pulled out slowly, or as the link
    // sees it on a loaded box), then the pty pair goes away under both ends: the lost port replaces the
    // earlier cause, because "adapter unplugged" is what the installer must act on.
    sim.stop();
    await waitFor('offline (timeout) once the node is silent', () => gateway.statuses.at(-1)?.lastError?.kind === 'timeout');
    await pty.stop();
    await waitFor('offline (connection) after unplug', () => gateway.statuses.at(-1)?.lastError?.kind === 'connection');
    expect(gateway.statuses.at(-1)).toMatchObject({ online: false, lastError: { kind: 'connection', message: expect.stringContaining('closed') } });

    pty = await startPtyPair('unused', paths);
    await closePort(port);
    port = await openNodePort(paths.a);
    sim = new NodeSimulator(port, NODE);
    sim.start();
    await sim.ready(5000);
    await waitFor('online after the adapter is back', () => gateway.statuses.at(-1)?.online === true);
    const transitions = gateway.statuses.map((s) => s.online).filter((online, i, all) => i === 0 || all[i - 1] !== online);
    expect(transitions).toEqual([true, false, true]);
  });
});
