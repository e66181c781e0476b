// The demo's township escalates within the storyline's loop: an alarm nobody dispatches goes to the second
// officer after 25 s and to the township leader 25 s later, and the local receiver gets (and prints) each
// notification; the storyline's duty officer works a case through the same workflow as the board.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { topics } from '../../../contract/wire.js';
import { startDemoTownship, type DemoTownship } from '../../../scripts/demo/township.js';
import { silentLogger } from '../../../contract/logger.js';
import { freePort, tempDir } from '../../helpers/peers.js';
import { alarmEvent, connectGateway, waitFor } from '../fixture.js';

describe('demo township', () => {
  const dir = tempDir('demo-township');
  const printed: string[] = [];
  let offsetMs = 0;
  let township: DemoTownship;
  let gateway: MqttClient;
  const GW = { id: 'gw-demo', township: 'chengguan', compound: 'hongqi' };

  beforeAll(async () => {
    const passwordFile = join(dir.path, 'uplink.password');
    township = await startDemoTownship({
      dir: dir.path,
      log: silentLogger(),
      gateway: GW,
      ports: { broker: await freePort(), console: await freePort(), victoria: await freePort() },
      uplinkPasswordFile: passwordFile,
      print: (text) => printed.push(text),
      clock: { now: () => Date.now() + offsetMs },
    });
    gateway = await connectGateway(township.service.brokerPort, GW.id, readFileSync(passwordFile, 'utf8').trim());
  }, 60_000);

  afterAll(async () => {
    await gateway?.endAsync(true);
    await township?.stop();
    dir.remove();
  });

  it('escalates the forced gate nobody dispatches to the second officer, then the leader, and prints each notification', async () => {
    const event = alarmEvent({ eventId: 'gate-1', alarmId: 'gate-access.event.door_forced', source: 'gate-access', level: 'alarm', text: { zh: '门被强行打开', en: 'Door forced open' } });
    await gateway.publishAsync(topics.alarm(GW.id, 'gate-1'), JSON.stringify(event), { qos: 1 });
    await waitFor('notice at raise', () => township.notifications.find((n) => n.event === 'case.raised'));
    const escalation = township.service.workflowServices!.escalation;
    offsetMs = 26_000;
    await escalation.tick();
    offsetMs = 52_000;
    await escalation.tick();
    await waitFor('two escalation notices', () => township.notifications.filter((n) => n.event === 'case.escalated').length === 2);
    expect(township.notifications.map((n) => [n.event, n.recipient])).toEqual([
      ['case.raised', '值班员 王 / duty officer Wang'],
      ['case.escalated', '副班 李 / second officer Li'],
      ['case.escalated', '街道领导 陈 / township leader Chen'],
    ]);
    expect(printed.filter((p) => p.includes('【超时升级·报警】门被强行打开'))).toHaveLength(2);
    const c = (await township.service.alarms.get('gw-demo.gate-1'))!;
    expect([c.overdue, c.escalations, c.assignee]).toEqual([true, 2, 'leader']);
  }, 60_000);

  it("lets the storyline's duty officer take a case through the workflow", async () => {
    const event = alarmEvent({ eventId: 'riser-1', alarmId: 'b1-riser-smoke.smoke_alarm.smoke', source: 'b1-riser-smoke' });
    await gateway.publishAsync(topics.alarm(GW.id, 'riser-1'), JSON.stringify(event), { qos: 1 });
    await waitFor('the riser case', () => township.service.alarms.get('gw-demo.riser-1'));
    await township.officer.confirm('b1-riser-smoke', 'real', 'phone');
    await township.officer.dispatch('b1-riser-smoke', 'fire-station');
    await township.officer.handled('b1-riser-smoke', 'ok');
    await township.officer.close('b1-riser-smoke', 'real_handled');
    const c = (await township.service.alarms.get('gw-demo.riser-1'))!;
    expect(c.steps.map((s) => [s.step, s.by])).toEqual([['open', 'gateway:gw-demo'], ['confirmed', 'duty-officer'], ['dispatched', 'duty-officer'], ['handled', 'duty-officer'], ['closed', 'duty-officer']]);
  }, 60_000);
});
