// Escalation and notification with a fake clock, against real HTTP servers on 127.0.0.1 that check each
// vendor's exact request (robots.ts): a fire case nobody confirms notifies every channel at raise, then
// escalates to the next officer on the duty roster, then to the township leader, each time notifying
// every channel in order, and is flagged overdue; a failed webhook is retried with back-off; every
// attempt is logged with the channel's answer; no key, token or secret appears in any log line.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkflow, type WorkflowServices } from '../../../cloud-ingest/alarms/services.js';
import { buildChannels } from '../../../cloud-ingest/notify/channels.js';
import type { CommandMessage } from '../../../contract/wire.js';
import { Stats } from '../../../contract/stats.js';
import { tempDir } from '../../helpers/peers.js';
import { alarmEvent, testConfig, waitFor } from '../fixture.js';
import { ENGINES, Engines } from './engines.js';
import { SECRETS, startRobots, type Robots } from './robots.js';

const engines = new Engines();
let robots: Robots;
let clock = Date.UTC(2026, 11, 2, 2, 0, 0);
const now = () => clock;
const secrets = tempDir('robot-secrets');

function secretFile(name: string, value: string, mode = 0o600): string {
  const file = join(secrets.path, name);
  writeFileSync(file, `${value}\n`);
  chmodSync(file, mode);
  return file;
}

beforeAll(async () => {
  await engines.start();
  robots = await startRobots(now);
}, 60_000);
afterAll(async () => {
  await robots?.stop();
  await engines.stop();
  secrets.remove();
});

function channels() {
  return [
    { name: 'duty-wecom', type: 'wecom', url: `${robots.base}/cgi-bin/webhook/send`, keyFile: secretFile('wecom.key', SECRETS.wecomKey), minIntervalMs: 0 },
    { name: 'duty-dingtalk', type: 'dingtalk', url: `${robots.base}/robot/send`, tokenFile: secretFile('ding.token', SECRETS.dingToken), secretFile: secretFile('ding.secret', SECRETS.dingSecret), minIntervalMs: 0 },
    { name: 'duty-feishu', type: 'feishu', url: `${robots.base}/open-apis/bot/v2/hook`, hookFile: secretFile('feishu.hook', SECRETS.feishuHook), secretFile: secretFile('feishu.secret', SECRETS.feishuSecret), minIntervalMs: 0 },
    { name: 'dispatch-hook', type: 'webhook', url: `${robots.base}/hook`, authorizationFile: secretFile('hook.auth', SECRETS.webhookAuth), minIntervalMs: 0 },
    { name: 'duty-sms', type: 'sms', url: `${robots.base}/sms/send`, authorizationFile: secretFile('sms.auth', SECRETS.smsAuth), templateId: 'SMS_ALARM_01', minIntervalMs: 0 },
  ];
}
const ORDER = ['duty-wecom', 'duty-dingtalk', 'duty-feishu', 'dispatch-hook', 'duty-sms'];
const TYPE = { 'duty-wecom': 'wecom', 'duty-dingtalk': 'dingtalk', 'duty-feishu': 'feishu', 'dispatch-hook': 'webhook', 'duty-sms': 'sms' } as const;

describe.each(ENGINES)('escalation and notification on %s', (engine) => {
  let wf: WorkflowServices;
  const logLines: string[] = [];
  const commands: CommandMessage[] = [];

  beforeAll(async () => {
    const settings = await engines.settings(engine);
    const config = testConfig({
      dataDir: settings.dataDir,
      ...(settings.url ? { database: { url: settings.url } } : {}),
      workflow: {
        levels: { fire: { channels: ORDER }, warning: { channels: ['duty-wecom'] } },
        staff: [
          { name: 'li', township: 'town-1', displayName: '值班员 李', phone: '13800000001', role: 'officer' },
          { name: 'zhou', township: 'town-1', displayName: '值班员 周', phone: '13800000002', role: 'officer' },
          { name: 'chen', township: 'town-1', displayName: '街道领导 陈', phone: '13800000009', role: 'leader' },
        ],
        roster: { 'town-1': ['li', 'zhou'] },
      },
      notify: { channels: channels(), retry: { attempts: 4, firstDelayMs: 1000, maxDelayMs: 8000, timeoutMs: 5000 } },
    });
    const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => (logLines.push(chunk.toString('utf8')), done()) });
    wf = await startWorkflow(config, { sendCommand: async (_gateway, message) => void commands.push(message) }, pino({ level: 'debug' }, sink), new Stats(), { now });
    robots.requests.length = 0;
  }, 60_000);
  afterAll(() => wf?.stop());

  it('notifies every channel at raise, escalates an unconfirmed fire down the roster to the leader, and flags it overdue', async () => {
    const gw = { gateway: 'gw-a', township: 'town-1', compound: 'compound-a' };
    robots.failNextWebhook();
    const opened = (await wf.store.addEvent(gw, alarmEvent({ eventId: `e-${engine}`, alarmId: 'riser/smoke', source: 'riser', text: { zh: '1号楼电缆井烟感报警', en: 'Smoke in building 1 cable riser' } })))!;
    expect([opened.dueStep, opened.dueAt]).toEqual(['confirmed', clock + 180_000]);
    // Notify at raise: all five channels; the webhook answered 500 once, so it is retried after 1 s.
    // A logged attempt can be visible to this query (another pooled connection) before the notifier's own
    // INSERT has returned and it has let go of the job, so wait for the lanes to settle too.
    await waitFor('raise notices logged', async () => (await wf.notifier.history(opened.caseId)).length === 5 && wf.notifier.pending() <= 1);
    expect(wf.notifier.pending()).toBe(1);
    clock += 999;
    await wf.escalation.tick();
    expect(robots.requests.filter((r) => r.channel === 'webhook')).toHaveLength(1);
    clock += 1;
    await wf.escalation.tick();
    expect(robots.requests.filter((r) => r.channel === 'webhook')).toHaveLength(2);
    expect(wf.notifier.pending()).toBe(0);

    // Nobody confirms within 3 minutes: escalated to the next officer on duty (zhou).
    clock += 178_000;
    await wf.escalation.tick();
    expect((await wf.store.get(opened.caseId))!.escalations).toBe(0);
    clock += 1000;
    await wf.escalation.tick();
    let c = (await wf.store.get(opened.caseId))!;
    expect([c.overdue, c.escalations, c.assignee, c.dueAt]).toEqual([true, 1, 'zhou', clock + 180_000]);
    // Then, still nobody: the township leader, and no further escalation after the leader.
    clock += 180_000;
    await wf.escalation.tick();
    c = (await wf.store.get(opened.caseId))!;
    expect([c.escalations, c.assignee, c.dueAt]).toEqual([2, 'chen', undefined]);
    clock += 3600_000;
    await wf.escalation.tick();
    c = (await wf.store.get(opened.caseId))!;
    expect(c.steps.filter((s) => s.step === 'escalated').map((s) => [s.by, s.to, s.late])).toEqual([
      ['system', 'zhou', 'confirmed'],
      ['system', 'chen', 'confirmed'],
    ]);

    // Every channel got raise → zhou → chen, in that order, each request exactly as its vendor wants it.
    expect(robots.requests.filter((r) => r.problems.length > 0)).toEqual([]);
    for (const name of ORDER.filter((n) => n !== 'duty-sms')) {
      const got = robots.requests.filter((r) => r.channel === TYPE[name as keyof typeof TYPE]);
      const texts = got.map((r) => JSON.stringify(r.body));
      const expected = name === 'dispatch-hook' ? ['值班员 李', '值班员 李', '值班员 周', '街道领导 陈'] : ['值班员 李', '值班员 周', '街道领导 陈'];
      expect(texts.map((t) => expected.find((who) => t.includes(who))), name).toEqual(expected);
    }
    const wecom = robots.requests.filter((r) => r.channel === 'wecom').map((r) => r.body as { text: { content: string; mentioned_mobile_list?: string[] } });
    expect(wecom[0]!.text.content).toMatch(/^【火警】1号楼电缆井烟感报警\n小区 compound-a/);
    expect(wecom.map((b) => b.text.mentioned_mobile_list)).toEqual([['13800000001'], ['13800000002'], ['13800000009']]);
    expect(wecom[1]!.text.content).toContain('确认超时，已升级给 值班员 周');
    const sms = robots.requests.filter((r) => r.channel === 'sms').map((r) => (r.body as { phones: string[] }).phones);
    expect(sms).toEqual([['13800000001'], ['13800000002'], ['13800000009']]);

    // The notification log: every attempt with the channel's answer.
    const log = await wf.notifier.history(opened.caseId);
    expect(log.filter((r) => r.channel === 'dispatch-hook').map((r) => [r.reason, r.attempt, r.status])).toEqual([
      ['raised', 1, 'failed'],
      ['raised', 2, 'sent'],
      ['escalated', 1, 'sent'],
      ['escalated', 1, 'sent'],
    ]);
    expect(log.find((r) => r.channel === 'duty-dingtalk')?.answer).toBe('HTTP 200 errcode 0 ok');
    expect(log.filter((r) => r.status === 'sent')).toHaveLength(15);

    // Secrets never reach the log.
    const text = logLines.join('');
    expect(text).toContain('"status":"sent"');
    for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
  }, 60_000);

  it('does not escalate or notify a test alarm, and closes it when the test ends', async () => {
    const gw = { gateway: 'gw-t', township: 'town-1', compound: 'compound-a' };
    const before = robots.requests.length;
    const test = (id: string, transition: 'raise' | 'clear') => alarmEvent({ eventId: `${id}-${engine}`, alarmId: 'gw-t/test_alarm', source: 'gw-t', rule: 'test_alarm', transition, state: transition === 'raise' ? 'raised' : 'cleared' });
    const c = (await wf.store.addEvent(gw, test('t1', 'raise')))!;
    clock += 24 * 3600_000;
    await wf.escalation.tick();
    expect((await wf.store.get(c.caseId))!.escalations).toBe(0);
    expect(robots.requests.length).toBe(before);
    expect((await wf.store.addEvent(gw, test('t2', 'clear')))!.step).toBe('closed');
  });

  it('a check asked for during a running one still uses the clock of its call', async () => {
    const gw = { gateway: 'gw-q', township: 'town-1', compound: 'compound-a' };
    const c = (await wf.store.addEvent(gw, alarmEvent({ eventId: `q1-${engine}`, alarmId: 'pump/stop', source: 'pump', level: 'alarm' })))!;
    const running = wf.escalation.tick();
    clock += 601_000; // past the alarm level's 10 min dispatch limit
    await wf.escalation.tick();
    await running;
    expect((await wf.store.get(c.caseId))!.escalations).toBe(1);
  });

  it('dispatching acknowledges the alarm on the gateway', async () => {
    const gw = { gateway: 'gw-d', township: 'town-1', compound: 'compound-a' };
    const c = (await wf.store.addEvent(gw, alarmEvent({ eventId: `d1-${engine}`, alarmId: 'door/forced', source: 'door', level: 'alarm' })))!;
    await wf.workflow.step(c.caseId, { step: 'dispatched', to: '网格员 张' }, 'li', c.version);
    expect(commands.at(-1)?.command).toEqual({ kind: 'acknowledge', alarmId: 'door/forced', by: 'li' });
  });
});

describe('notification channels', () => {
  it('treats a non-zero errcode as a failure even with HTTP 200 (DingTalk 310000: wrong signature)', async () => {
    const [ding] = buildChannels([{ name: 'bad-ding', type: 'dingtalk', url: `${robots.base}/robot/send`, tokenFile: secretFile('t2', SECRETS.dingToken), secretFile: secretFile('s2', 'SECwrong'), minIntervalMs: 0 }]);
    const request = ding!.format.build({ caseId: 'x', reason: 'raised', level: 'fire', title: 't', text: 'text', recipient: undefined, case: {} as never }, clock);
    const res = await fetch(request.url, { method: 'POST', headers: request.headers, body: request.body });
    const answer = ding!.format.judge(res.status, await res.text());
    expect(res.status).toBe(200);
    expect(answer.ok).toBe(false);
    expect(answer.answer).toMatch(/errcode 310000/);
  });

  it('refuses a secret file others can read, naming its config path', () => {
    expect(() => buildChannels([{ name: 'w', type: 'wecom', url: 'http://127.0.0.1:1/x', keyFile: secretFile('open.key', 'k', 0o644), minIntervalMs: 0 }])).toThrow(/notify\.channels\[0\]\.keyFile: .*open\.key is readable by others \(mode 644\)/);
  });
});
