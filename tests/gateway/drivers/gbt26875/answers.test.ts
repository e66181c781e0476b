// What the gateway answers, packet by packet, to a raw TCP client playing the transmission device: confirm
// (3) with the same serial for sound packets (heartbeats and unknown-but-sound types included), deny (6)
// for a wrong object length, an unknown command or a damaged sum; a retransmitted packet is confirmed
// again but handed on once.
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PacketDecoder } from '../../../../gateway/drivers/gbt26875/codec/decoder.js';
import { COMMAND, encodeFrame, type Frame } from '../../../../gateway/drivers/gbt26875/codec/frame.js';
import { encodeAppUnit } from '../../../../gateway/drivers/gbt26875/codec/objects.js';
import { freePort, tempDir } from '../../../helpers/peers.js';
import { waitFor } from '../../../helpers/wait.js';
import { startGateway, type TestGateway } from './harness.js';

const DEVICE = '000000000379';
const CENTRE = '000000015b38';
const time = { second: 2, minute: 58, hour: 9, day: 26, month: 9, year: 26 };
const component = { system: { type: 1, address: 1 }, type: 42, area: 10, position: 2 };

const open: { stop(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const thing of open.splice(0).reverse()) await thing.stop();
});

interface RawDevice {
  readonly answers: Frame[];
  send(serial: number, command: number, appData?: Buffer): void;
  write(bytes: Buffer): void;
}

async function setUp(): Promise<{ gw: TestGateway; device: RawDevice }> {
  const port = await freePort();
  const spool = tempDir('gbt26875-answers');
  open.push({ stop: () => spool.remove() });
  const site = [
    'version: 1',
    'gateway: { township: t1, compound: c1, id: gw1 }',
    `spool: { dir: ${JSON.stringify(spool.path)} }`,
    'sources:',
    '  - id: panel-1',
    '    profile: generic/gbt26875-transmission-device',
    '    tags: { building: "3" }',
    `    gbt26875: { listen: { host: 127.0.0.1, port: ${port} }, address: "${DEVICE}", centreAddress: "${CENTRE}" }`,
  ].join('\n');
  const gw = await startGateway(site, { ackTimeout: '5s' });
  open.push(gw);
  const socket: Socket = connect({ host: '127.0.0.1', port });
  open.push({ stop: () => void socket.destroy() });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const answers: Frame[] = [];
  const decoder = new PacketDecoder((event) => event.kind === 'frame' && answers.push(event.frame));
  socket.on('data', (chunk: Buffer) => decoder.push(chunk));
  const device: RawDevice = {
    answers,
    send: (serial, command, appData = Buffer.alloc(0)) => socket.write(encodeFrame({ control: { serial, version: { major: 1, user: 1 }, time, source: DEVICE, destination: CENTRE, command }, appData })),
    write: (bytes) => socket.write(bytes),
  };
  return { gw, device };
}

const answerTo = (device: RawDevice, serial: number) => waitFor(`the answer to serial ${serial}`, () => device.answers.find((a) => a.control.serial === serial && (a.control.command === COMMAND.confirm || a.control.command === COMMAND.deny)));

describe('gbt26875 answers', () => {
  it('confirms a heartbeat and a sound upload with the same serial and swapped addresses', async () => {
    const { device } = await setUp();
    device.send(100, COMMAND.send);
    expect(await answerTo(device, 100)).toMatchObject({ control: { command: COMMAND.confirm, source: CENTRE, destination: DEVICE }, appData: Buffer.alloc(0) });
    device.send(101, COMMAND.send, encodeAppUnit([{ kind: 'device_state', status: 1, time }]));
    expect((await answerTo(device, 101)).control.command).toBe(COMMAND.confirm);
  });

  it('denies a wrong object length, an unknown command and a damaged sum; confirms a sound unknown type', async () => {
    const { gw, device } = await setUp();
    device.send(200, COMMAND.send, Buffer.from([2, 1, 0, 0, 0]));
    expect((await answerTo(device, 200)).control.command).toBe(COMMAND.deny);
    expect(gw.stats.counter('gbt26875.bad_unit', { source: 'panel-1', reason: 'bad_length' })).toBe(1);
    device.send(201, 7);
    expect((await answerTo(device, 201)).control.command).toBe(COMMAND.deny);
    const damaged = encodeFrame({ control: { serial: 202, version: { major: 1, user: 1 }, time, source: DEVICE, destination: CENTRE, command: COMMAND.send }, appData: encodeAppUnit([{ kind: 'device_state', status: 1, time }]) });
    damaged[28] = damaged[28]! ^ 0x01;
    device.write(damaged);
    expect((await answerTo(device, 202)).control.command).toBe(COMMAND.deny);
    device.send(203, COMMAND.send, Buffer.from([25, 1, 1, 2])); // type 25: device software version 1.2
    expect((await answerTo(device, 203)).control.command).toBe(COMMAND.confirm);
    expect(gw.stats.counter('gbt26875.unknown_type', { source: 'panel-1' })).toBe(1);
  });

  it('a retransmitted upload is confirmed again but handed on once', async () => {
    const { gw, device } = await setUp();
    const fire = encodeAppUnit([{ kind: 'component_state', component, status: 0x0003, description: '烟感', time }]);
    device.send(300, COMMAND.send, fire);
    await answerTo(device, 300);
    device.send(300, COMMAND.send, fire);
    await waitFor('two confirms', () => device.answers.filter((a) => a.control.serial === 300 && a.control.command === COMMAND.confirm).length === 2);
    expect(gw.conditions.filter((c) => c.rule === 'panel_fire')).toHaveLength(1);
    expect(gw.stats.counter('gbt26875.duplicate', { source: 'panel-1' })).toBe(1);
  });
});
