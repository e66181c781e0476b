// The spool and uplink stages wired as the runtime wires them (bus, clock, config), against a real
// mosquitto: one line per reading, alarms as JSON, commands down and results up, retained status,
// and the spool-full warning as a gateway measurement plus a warning alarm.
import { Services } from '../../../gateway/pipeline/services.js';
import { connect } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { topics, type CommandResult, type GatewayStatus } from '../../../contract/wire.js';
import { uplink as uplinkSchema } from '../../../config/sections/uplink.js';
import type { SiteConfig } from '../../../config/site.js';
import type { RuntimeContext } from '../../../gateway/pipeline/stage.js';
import { EventBus } from '../../../gateway/pipeline/event-bus.js';
import type { GatewayEvents } from '../../../gateway/pipeline/events.js';
import { sourceFault, type AlarmEvent, type GatewayCommand, type Measurement } from '../../../gateway/pipeline/types.js';
import { SpoolStage } from '../../../gateway/spool/spool-stage.js';
import { silentLogger } from '../../../contract/logger.js';
import { Stats } from '../../../contract/stats.js';
import { HonestClock } from '../../../gateway/time/honest-clock.js';
import { UplinkStage } from '../../../gateway/uplink/uplink-stage.js';
import { startMosquitto, tempDir } from '../../helpers/peers.js';
import { TestSubscriber, waitFor } from './subscriber.js';

const GATEWAY = 'gw-stage';
const READING_TS = Date.UTC(2026, 10, 23, 9, 0, 0);
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function context(url: string, spool: Partial<SiteConfig['spool']> = {}): RuntimeContext {
  const dir = tempDir('stage-spool');
  cleanups.push(() => dir.remove());
  const site = {
    version: 1,
    gateway: { township: 'xinhua', compound: 'hongqi-1', id: GATEWAY },
    buses: [],
    // In the site only (no resolved source): what request_config shows of the sources.
    sources: [{ id: 'meter-1', profile: 'eastron/sdm120', bus: 'b1', unit: 1, enabled: true, tags: { building: '3' } }],
    actuators: [],
    uplink: uplinkSchema.parse({ url, batchMaxAge: '20ms', reconnectMin: '50ms', reconnectMax: '200ms', statusEvery: '200ms', passwordFile: undefined }),
    spool: { dir: dir.path, maxBytes: 16 * 1024 * 1024, maxAge: 30 * 86_400_000, syncEvery: 10, segmentBytes: 64 * 1024, ...spool },
  } as unknown as SiteConfig;
  const stats = new Stats();
  return { site, sources: [], events: new EventBus<GatewayEvents>(() => stats.inc('listener_error')), clock: new HonestClock({ synced: true }), log: silentLogger(), stats, services: new Services() };
}

/** One point of a reading taken at `mono` (the points of one reading share mono and ts, as the decoder stamps them). */
function measurement(ctx: RuntimeContext, source: string, point: string, value: number, mono: number): Measurement {
  return {
    source, point, class: 'power', value, unit: 'V', ts: READING_TS + mono, mono, timeSynced: true, quality: 'good',
    tags: { township: 'xinhua', compound: 'hongqi-1', gateway: GATEWAY, source, building: '3' },
  };
}

describe('spool and uplink stages', () => {
  it('sends a reading as one line, alarms as JSON, answers commands and keeps a retained status', async () => {
    const broker = await startMosquitto();
    cleanups.push(() => broker.stop());
    const url = `mqtt://127.0.0.1:${broker.port}`;
    const subscriber = await TestSubscriber.start(url, GATEWAY);
    cleanups.push(() => subscriber.stop());
    const ctx = context(url);
    const spoolStage = new SpoolStage(ctx);
    spoolStage.start();
    const uplinkStage = new UplinkStage(ctx);
    uplinkStage.start();
    cleanups.push(async () => {
      await uplinkStage.stop();
      await spoolStage.stop();
    });
    const commands: GatewayCommand[] = [];
    ctx.events.on('command', (c) => commands.push(c));

    ctx.events.emit('measurement', measurement(ctx, 'meter-1', 'voltage', 229.5, 100));
    ctx.events.emit('measurement', measurement(ctx, 'meter-1', 'current', 1.25, 100));
    ctx.events.emit('measurement', measurement(ctx, 'meter-2', 'voltage', 231, 100));
    const event: AlarmEvent = {
      eventId: 'ev-1', alarmId: 'meter-1:voltage:over', transition: 'raise', state: 'raised', level: 'alarm', source: 'meter-1', point: 'voltage', rule: 'over',
      value: 260, text: { zh: '过压', en: 'Overvoltage' }, tags: {}, ts: ctx.clock.now(), mono: 1, timeSynced: true, by: undefined,
    };
    ctx.events.emit('alarm', event);

    await waitFor('telemetry and alarm', () => subscriber.deliveries.some((d) => d.kind === 'telemetry') && subscriber.alarmIds().length === 1, 5_000);
    const lines = subscriber.telemetryLines();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^power,building=3,compound=hongqi-1,gateway=gw-stage,source=meter-1,township=xinhua voltage=229\.5,current=1\.25 \d{13}$/);
    expect((subscriber.deliveries.find((d) => d.kind === 'alarm')!.json as AlarmEvent).alarmId).toBe('meter-1:voltage:over');
    // Alarm lane first: the alarm arrived before the telemetry batch spooled ahead of it.
    expect(subscriber.deliveries.filter((d) => d.kind !== 'status')[0]?.kind).toBe('alarm');

    const township = connect(url, { clientId: 'township-cmd', protocolVersion: 4 });
    cleanups.push(() => township.endAsync(true));
    const results: CommandResult[] = [];
    const statuses: GatewayStatus[] = [];
    township.on('message', (topic, payload) => {
      if (topic === topics.commandResult(GATEWAY)) results.push(JSON.parse(payload.toString()) as CommandResult);
      if (topic === topics.status(GATEWAY)) statuses.push(JSON.parse(payload.toString()) as GatewayStatus);
    });
    await township.subscribeAsync([topics.commandResult(GATEWAY), topics.status(GATEWAY)], { qos: 1 });
    await waitFor('the retained status', () => statuses.length > 0, 5_000);
    expect(statuses[0]).toMatchObject({ gateway: GATEWAY, online: true, timeSynced: true });

    const send = (message: unknown) => township.publishAsync(topics.command(GATEWAY), JSON.stringify(message), { qos: 1 });
    await send({ id: 'c1', command: { kind: 'acknowledge', alarmId: 'meter-1:voltage:over', by: 'township:li' } });
    await send({ id: 'c2', command: { kind: 'silence', by: 'township:li', forMs: 0 } });
    await send({ id: 'c3', command: { kind: 'request_config', by: 'township:li' } });
    await send({ id: 'c4', command: { kind: 'request_health', by: 'township:li' } });
    await waitFor('four command results', () => results.length === 4, 5_000);
    expect(commands).toEqual([{ kind: 'acknowledge', alarmId: 'meter-1:voltage:over', by: 'township:li' }, { kind: 'request_config', by: 'township:li' }, { kind: 'request_health', by: 'township:li' }]);
    const byId = new Map(results.map((r) => [r.id, r]));
    // Passed on, with no data: only request_config answers with the config.
    expect(byId.get('c1')).toEqual({ id: 'c1', ok: true, message: 'acknowledge passed to the gateway' });
    expect(byId.get('c2')).toMatchObject({ ok: false });
    expect(byId.get('c2')?.message).toContain('command.forMs');
    expect(JSON.stringify(byId.get('c3')?.data)).not.toMatch(/passwordFile|"key"/);
    const { passwordFile: _password, key: _key, ...publicUplink } = ctx.site.uplink!;
    expect(byId.get('c3')?.data).toEqual({
      version: 1,
      gateway: ctx.site.gateway,
      sources: [{ id: 'meter-1', profile: 'eastron/sdm120', enabled: true }],
      uplink: JSON.parse(JSON.stringify(publicUplink)) as unknown,
      spool: ctx.site.spool,
    });
    expect((byId.get('c4')?.data as { status: GatewayStatus }).status.gateway).toBe(GATEWAY);

    // A driver's source status reaches the retained status (sent every statusEvery: 200 ms here).
    ctx.events.emit('source.status', { source: 'meter-1', online: false, mono: ctx.clock.mono(), lastError: sourceFault('timeout', 'unit 1: no answer') });
    await waitFor('the source in the retained status', () => statuses.at(-1)?.sources['meter-1']?.online === false, 5_000);
    expect(statuses.at(-1)?.sources['meter-1']).toMatchObject({ online: false, lastError: expect.stringContaining('timeout: unit 1: no answer') });
    // The installer console's uplink badge, withdrawn on stop.
    expect(ctx.services.get('uplinkStatus')?.()).toEqual({ connected: true, url });

    await uplinkStage.stop();
    await waitFor('the offline status on shutdown', () => statuses.at(-1)?.online === false, 5_000);
    expect(ctx.services.get('uplinkStatus')).toBeUndefined();
  });

  it('refuses to start the uplink before the spool stage, naming the stage order', async () => {
    const ctx = context('mqtt://127.0.0.1:1');
    const stage = new UplinkStage(ctx);
    expect(() => stage.start()).toThrow('uplink: no spool is open (the spool stage must start before the uplink in gateway/stages.ts)');
    expect(ctx.services.get('uplinkStatus')).toBeUndefined();
    // The runtime still stops a stage whose start failed: nothing was started, nothing throws.
    await expect(stage.stop()).resolves.toBeUndefined();
  });

  it('when the spool is full, reports the drops as a gateway measurement and one warning alarm', async () => {
    const ctx = context('mqtt://127.0.0.1:1', { maxBytes: 8 * 1024, segmentBytes: 2 * 1024 });
    const stage = new SpoolStage(ctx);
    stage.start();
    cleanups.push(() => stage.stop());
    const alarms: AlarmEvent[] = [];
    const dropped: Measurement[] = [];
    ctx.events.on('alarm', (a) => alarms.push(a));
    ctx.events.on('measurement', (m) => {
      if (m.point === 'spool_dropped') dropped.push(m);
    });
    for (let i = 0; i < 400; i++) {
      ctx.events.emit('measurement', measurement(ctx, `meter-${i}`, 'voltage', i, i));
      if (i % 50 === 0) await new Promise((r) => setTimeout(r, 15));
    }
    await waitFor('a spool_dropped measurement', () => dropped.length > 0, 5_000);
    expect(dropped.at(-1)).toMatchObject({ class: 'gateway', source: GATEWAY, point: 'spool_dropped' });
    expect(alarms.filter((a) => a.rule === 'spool_full')).toHaveLength(1);
    expect(alarms[0]).toMatchObject({ transition: 'raise', level: 'warning', rule: 'spool_full', state: 'raised' });
    expect(ctx.stats.counter('spool.dropped', { lane: 'telemetry', reason: 'max_bytes' })).toBe(dropped.at(-1)!.value);
  });
});
