// The gbt26875 driver over loopback TCP against the transmission-device simulator (a TCP client, as a real
// device is), through the decode, rules and alarm stages: a component fire becomes a fire-level alarm with
// its mapped location; packets are confirmed (same serial) or denied as the standard says and the device
// retransmits a denied one; a dropped connection (and a silent one) is noticed and the device reconnects;
// clock sync and the duty check (查岗) are sent and answered.
import { afterEach, describe, expect, it } from 'vitest';
import { LiveState } from '../../../../gateway/console/live-state.js';
import { COMMAND, encodeFrame } from '../../../../gateway/drivers/gbt26875/codec/frame.js';
import { encodeAppUnit } from '../../../../gateway/drivers/gbt26875/codec/objects.js';
import { Gbt26875DeviceSimulator, COMPONENT_STATUS } from '../../../../gateway/sim/gbt26875-device.js';
import type { Gbt26875DeviceOptions } from '../../../../gateway/sim/gbt26875-device.js';
import { freePort, tempDir } from '../../../helpers/peers.js';
import { waitFor } from '../../../helpers/wait.js';
import { startGateway, type TestGateway } from './harness.js';

const DEVICE = '000000000379';
const CENTRE = '000000015b38';
const RISER = { system: { type: 1, address: 1 }, type: 42, area: 10, position: 2 };
const UNMAPPED = { system: { type: 1, address: 1 }, type: 23, area: 3, position: 7 };

const open: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  for (const thing of open.splice(0).reverse()) await thing.stop();
});

function siteText(port: number, spoolDir: string, extra: string[] = []): string {
  return [
    'version: 1',
    'gateway: { township: t1, compound: c1, id: gw1 }',
    `spool: { dir: ${JSON.stringify(spoolDir)} }`,
    'sources:',
    '  - id: panel-1',
    '    profile: generic/gbt26875-transmission-device',
    '    tags: { building: "3", room: 消防控制室 }',
    '    gbt26875:',
    `      listen: { host: 127.0.0.1, port: ${port} }`,
    `      address: "${DEVICE}"`,
    `      centreAddress: "${CENTRE}"`,
    '      components:',
    '        "1-1-10-2": { floor: "6", room: 楼梯间, name: 6层楼梯间烟感 }',
    ...extra,
  ].join('\n');
}

async function setUp(options: { extra?: string[]; device?: Partial<Gbt26875DeviceOptions>; driver?: Parameters<typeof startGateway>[1]; clockSynced?: boolean } = {}): Promise<{ gw: TestGateway; sim: Gbt26875DeviceSimulator }> {
  const port = await freePort();
  const spool = tempDir('gbt26875-spool');
  open.push({ stop: async () => spool.remove() });
  const gw = await startGateway(siteText(port, spool.path, options.extra), { ackTimeout: '300ms', ...options.driver }, options.clockSynced ?? true);
  open.push(gw);
  const sim = new Gbt26875DeviceSimulator({ host: '127.0.0.1', port, address: DEVICE, centreAddress: CENTRE, ackTimeoutMs: 300, reconnectMs: 100, heartbeatMs: 500, ...options.device });
  open.push(sim);
  sim.start();
  await waitFor('the source online', () => gw.statuses.some((s) => s.source === 'panel-1' && s.online), 15_000);
  return { gw, sim };
}

describe('gbt26875 driver against the simulated transmission device', () => {
  it('a component fire becomes a fire alarm at its mapped location, confirmed with the same serial', async () => {
    const { gw, sim } = await setUp();
    const confirmsBefore = sim.seen.confirms;
    await expect(sim.componentState(RISER, COMPONENT_STATUS.fire, '6楼楼梯间感烟')).resolves.toBe('confirmed');
    expect(sim.seen.confirms).toBe(confirmsBefore + 1);
    const fire = await waitFor('the panel fire alarm', () => gw.alarms.find((a) => a.alarmId === 'panel-1.c1-1-10-2.panel_fire' && a.transition === 'raise'), 10_000);
    expect(fire).toMatchObject({ level: 'fire', state: 'raised', source: 'panel-1', tags: { building: '3', floor: '6', room: '楼梯间' } });
    expect(fire.text.zh).toContain('3号楼6层 楼梯间');
    expect(fire.text.zh).toContain('6层楼梯间烟感');
    expect(fire.text.zh).toContain('火警');
    await waitFor('the component count', () => gw.latest('components_fire')?.value === 1);
    expect(gw.latest('last_component')?.value).toBe('1-1-10-2');
    expect(gw.latest('last_component_state')?.value).toBe('fire');
    // Heard means alive: the heartbeat rule gets a measurement even from a quiet panel.
    expect(gw.latest('link_up')?.value).toBe(true);

    // Back to normal: the condition clears, the fire alarm stays latched until someone resets it.
    await sim.componentState(RISER, COMPONENT_STATUS.normal, '6楼楼梯间感烟');
    await waitFor('the fire condition cleared', () => gw.conditions.some((c) => c.alarmId === 'panel-1.c1-1-10-2.panel_fire' && !c.active));
    expect(gw.alarms.filter((a) => a.alarmId === 'panel-1.c1-1-10-2.panel_fire').map((a) => a.transition)).toEqual(['raise']);
  });

  it('an unmapped component still raises fire, at the source location, named by its description; fire before fault', async () => {
    const { gw, sim } = await setUp();
    await sim.componentState(UNMAPPED, COMPONENT_STATUS.fire | COMPONENT_STATUS.fault, '二层手报');
    const ids = await waitFor('both conditions', () => {
      const mine = gw.conditions.filter((c) => c.point === 'c1-1-3-7' && c.active);
      return mine.length >= 2 && mine.map((c) => c.rule);
    });
    expect(ids).toEqual(['panel_fire', 'panel_fault']);
    const fire = await waitFor('the fire alarm', () => gw.alarms.find((a) => a.alarmId === 'panel-1.c1-1-3-7.panel_fire'));
    expect(fire).toMatchObject({ level: 'fire', tags: { building: '3', room: '消防控制室' } });
    expect(fire.text.zh).toContain('手动火灾报警按钮 二层手报 (1-1-3-7)');
  });

  it('a damaged packet is denied and retransmitted; heartbeats and system state are confirmed', async () => {
    const { gw, sim } = await setUp();
    sim.corruptNext = 1;
    const denies = sim.seen.denies;
    await expect(sim.systemState({ type: 1, address: 1 }, 0x0001 | 0x0100)).resolves.toBe('confirmed');
    expect(sim.seen.denies).toBe(denies + 1);
    expect(sim.seen.retransmits).toBeGreaterThanOrEqual(1);
    expect(gw.stats.counter('gbt26875.bad_checksum', { source: 'panel-1' })).toBe(1);
    // The installer console shows it with the source.
    const live = new LiveState(gw.context);
    expect(live.snapshot().find((v) => v.id === 'panel-1')?.counters).toMatchObject({ bad_checksum: 1 });
    await waitFor('main power fault alarm', () => gw.alarms.find((a) => a.alarmId === 'panel-1.main_power_fault.main_power_fault' && a.level === 'fault'));
    await waitFor('heartbeats confirmed', () => sim.seen.heartbeatsConfirmed >= 2);
  });

  it('garbage and packets split across TCP reads are survived and counted', async () => {
    const { gw, sim } = await setUp({ device: { heartbeatMs: 60_000 } });
    sim.sendRaw(Buffer.from('AT+CIPSEND noise @@ more noise ##'));
    await sim.deviceState(0x01 | 0x40); // line to the fire panel broken
    await waitFor('line fault alarm', () => gw.alarms.find((a) => a.alarmId === 'panel-1.device_line_fault.device_line_fault'));
    expect(gw.stats.counter('gbt26875.dropped_bytes', { source: 'panel-1' })).toBeGreaterThanOrEqual(30);
    // One packet in two TCP writes 50 ms apart, garbage in front: the component fire still arrives.
    const time = { second: 2, minute: 58, hour: 9, day: 26, month: 9, year: 26 };
    const wire = encodeFrame({
      control: { serial: 4242, version: { major: 1, user: 1 }, time, source: DEVICE, destination: CENTRE, command: COMMAND.send },
      appData: encodeAppUnit([{ kind: 'component_state', component: UNMAPPED, status: COMPONENT_STATUS.fire, description: '二层手报', time }]),
    });
    sim.sendRaw(Buffer.concat([Buffer.from([0x40, 0x00, 0x23]), wire.subarray(0, 20)]));
    await new Promise((resolve) => setTimeout(resolve, 50));
    sim.sendRaw(wire.subarray(20));
    await waitFor('fire from the split packet', () => gw.alarms.find((a) => a.alarmId === 'panel-1.c1-1-3-7.panel_fire'));
  });

  it('a dropped connection puts the source offline; the device reconnects and what happened meanwhile arrives', async () => {
    const { gw, sim } = await setUp();
    const connects = sim.seen.connects;
    sim.dropConnection();
    const offline = await waitFor('offline', () => gw.statuses.find((s) => !s.online));
    expect(offline.lastError?.kind).toBe('connection');
    const queued = sim.componentState(RISER, COMPONENT_STATUS.fire, '6楼楼梯间感烟');
    await waitFor('reconnected and online', () => sim.seen.connects > connects && gw.statuses.at(-1)?.online === true, 15_000);
    await expect(queued).resolves.toBe('confirmed');
    await waitFor('fire after reconnect', () => gw.alarms.find((a) => a.alarmId === 'panel-1.c1-1-10-2.panel_fire'));
  });

  it('a silent connection (no FIN, heartbeats stopped) is closed after idleTimeout and the device comes back', async () => {
    const { gw, sim } = await setUp({ device: { heartbeatMs: 60_000 }, driver: { idleTimeout: '1s' } });
    const offline = await waitFor('offline by silence', () => gw.statuses.find((s) => !s.online), 15_000);
    expect(offline.lastError?.kind).toBe('timeout');
    await waitFor('back online', () => gw.statuses.at(-1)?.online === true && sim.seen.connects >= 2, 15_000);
    expect(gw.stats.counter('gbt26875.idle_timeout', { source: 'panel-1' })).toBeGreaterThanOrEqual(1);
  });

  it('syncs the device clock on connect (Beijing time) and reads the device state', async () => {
    const { sim } = await setUp();
    const synced = await waitFor('a clock sync', () => sim.seen.clockSyncs[0]);
    const beijingHour = new Date(Date.now() + 8 * 3600_000).getUTCHours();
    expect([beijingHour, (beijingHour + 23) % 24]).toContain(synced.hour);
    await waitFor('a device-state read', () => sim.seen.reads >= 1);
  });

  it('does not set the device clock while the gateway clock is not synced', async () => {
    const { gw, sim } = await setUp({ clockSynced: false });
    await waitFor('the device-state read', () => sim.seen.reads >= 1);
    expect(sim.seen.clockSyncs).toEqual([]);
    expect(gw.stats.counter('gbt26875.clock_sync_skipped', { source: 'panel-1' })).toBe(1);
  });

  it('a description that is not GB 18030 is counted, and the fire still raised', async () => {
    const { gw, sim } = await setUp();
    const time = { second: 0, minute: 0, hour: 12, day: 1, month: 12, year: 26 };
    const appData = encodeAppUnit([{ kind: 'component_state', component: UNMAPPED, status: COMPONENT_STATUS.fire, description: '', time }]);
    appData[11] = 0xff; // description bytes start at 2 + 9 in the unit
    appData[12] = 0xff;
    sim.sendRaw(encodeFrame({ control: { serial: 777, version: { major: 1, user: 1 }, time, source: DEVICE, destination: CENTRE, command: COMMAND.send }, appData }));
    await waitFor('fire despite the description', () => gw.alarms.find((a) => a.alarmId === 'panel-1.c1-1-3-7.panel_fire'));
    expect(gw.stats.counter('gbt26875.bad_description', { source: 'panel-1' })).toBe(1);
  });

  it('a duty check is confirmed and answered at the device', async () => {
    const { gw } = await setUp({ extra: ['      dutyCheck: { every: 1h, answerWithin: 1s }'] });
    await expect(gw.driver.dutyCheck('panel-1')).resolves.toBe('answered');
    expect(gw.latest('duty_check')?.value).toBe('answered');
    expect(gw.latest('device_operation')?.value).toBe('duty_answer');
  });

  it('an unanswered duty check raises the duty_unanswered warning', async () => {
    const { gw } = await setUp({ extra: ['      dutyCheck: { every: 1h, answerWithin: 1s }'], device: { dutyAnswer: 'never' } });
    await expect(gw.driver.dutyCheck('panel-1')).resolves.toBe('unanswered');
    const warning = await waitFor('the warning', () => gw.alarms.find((a) => a.alarmId === 'panel-1.duty_check.duty_unanswered'));
    expect(warning.level).toBe('warning');
  });

  it('packets from another device address are denied and counted, not used; the real device stays connected', async () => {
    const { gw, sim } = await setUp();
    const connects = sim.seen.connects;
    const port = gw.driver.links.get('panel-1')!.port()!;
    const stranger = new Gbt26875DeviceSimulator({ host: '127.0.0.1', port, address: '0000000000aa', centreAddress: CENTRE, ackTimeoutMs: 200, maxRetries: 0, reconnectMs: 100, heartbeatMs: 60_000 });
    open.push(stranger);
    stranger.start();
    await expect(stranger.componentState(RISER, COMPONENT_STATUS.fire, 'x')).resolves.toBe('denied');
    expect(gw.stats.counter('gbt26875.wrong_address', { source: 'panel-1' })).toBeGreaterThanOrEqual(1);
    expect(gw.alarms.some((a) => a.level === 'fire')).toBe(false);
    await expect(sim.componentState(RISER, COMPONENT_STATUS.fault, '6楼楼梯间感烟')).resolves.toBe('confirmed');
    expect(sim.seen.connects).toBe(connects);
    expect(gw.statuses.filter((s) => !s.online)).toEqual([]);
  });
});
