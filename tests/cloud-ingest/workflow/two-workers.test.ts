// Two cloud-ingest workers behind one real Mosquitto 2.0, sharing one real PostgreSQL 15: the gateway's
// alarm opens one case (both workers receive it; the store keeps it once), both boards show it, a step
// taken on worker 1's board reaches worker 2's live feed (LISTEN/NOTIFY), two officers acting on the
// case at once on different workers get one success and one clear conflict, and escalation runs once.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { mosquittoPasswordHash } from '../../../cloud-ingest/registry/password.js';
import { hashPassword } from '../../../cloud-ingest/registry/password.js';
import { mosquittoIngestAcl } from '../../../cloud-ingest/registry/provision.js';
import type { CloudIngest } from '../../../cloud-ingest/service.js';
import { startMosquitto, tempDir, type Peer } from '../../helpers/peers.js';
import { alarmEvent, connectGateway, provision, startService, testConfig, waitFor } from '../fixture.js';
import { BoardClient, type BoardCaseView } from './board-client.js';
import { Engines } from './engines.js';

describe('two workers, one Mosquitto, one PostgreSQL', () => {
  const engines = new Engines();
  let broker: Peer & { dir: string };
  let gateway: MqttClient;
  const workers: CloudIngest[] = [];
  const boards: BoardClient[] = [];
  const dir = tempDir('two-workers');
  let offsetMs = 0;

  beforeAll(async () => {
    await engines.start();
    const { url } = await engines.settings('postgres');
    const registryFile = join(dir.path, 'gateways.json');
    const gw = provision(dir.path, 'gw-s', 'town-2', 'compound-s');
    writeFileSync(join(dir.path, 'ingest.password'), 'ingest-secret\n');
    writeFileSync(join(dir.path, 'passwd'), `${gw.mosquittoPasswordLine}\ningest:${mosquittoPasswordHash('ingest-secret')}\n`);
    writeFileSync(join(dir.path, 'acl'), `${gw.mosquittoAcl}\n${mosquittoIngestAcl('ingest')}`);
    // mosquitto, started as root, drops to its own user before reading these files (test-only permissions).
    chmodSync(dir.path, 0o755);
    for (const f of ['passwd', 'acl']) chmodSync(join(dir.path, f), 0o644);
    broker = await startMosquitto({ extraConfig: [`password_file ${join(dir.path, 'passwd')}`, `acl_file ${join(dir.path, 'acl')}`, 'allow_anonymous false'] });
    const users = [
      { name: 'li', township: 'town-2', passwordHash: hashPassword('pw-li') },
      { name: 'zhao', township: 'town-2', passwordHash: hashPassword('pw-zhao') },
    ];
    for (const worker of ['w1', 'w2']) {
      const config = testConfig({
        worker,
        registryFile,
        broker: { type: 'external', url: `mqtt://127.0.0.1:${broker.port}`, username: 'ingest', passwordFile: join(dir.path, 'ingest.password'), shareGroup: 'ingest' },
        database: { url },
        console: { enabled: true, host: '127.0.0.1', port: 0, secureCookie: false, users },
        workflow: {
          staff: [
            { name: 'li', township: 'town-2', displayName: '李', role: 'officer' },
            { name: 'zhao', township: 'town-2', displayName: '赵', role: 'officer' },
          ],
          roster: { 'town-2': ['li', 'zhao'] },
        },
      });
      workers.push(await startService(config, { now: () => Date.now() + offsetMs }));
    }
    gateway = await connectGateway(broker.port, 'gw-s', gw.password);
    for (const [i, w] of workers.entries()) {
      const board = new BoardClient(`http://127.0.0.1:${w.consolePort}`);
      await board.login(i === 0 ? 'li' : 'zhao', i === 0 ? 'pw-li' : 'pw-zhao');
      await board.follow();
      boards.push(board);
    }
  }, 90_000);

  afterAll(async () => {
    for (const b of boards) b.close();
    await gateway?.endAsync(true);
    for (const w of workers) await w.stop();
    await broker?.stop();
    await engines.stop();
    dir.remove();
  });

  const latest = (board: BoardClient, caseId: string) => board.seen.filter((c) => c.caseId === caseId).sort((a, b) => b.revision - a.revision)[0];

  it('keeps both boards consistent: one case from the alarm, and a step on worker 1 shows on worker 2', async () => {
    await gateway.publishAsync('lm/v1/gw-s/a/ev-2w', JSON.stringify(alarmEvent({ eventId: 'ev-2w', alarmId: 'garage/water', source: 'garage', level: 'alarm', text: { zh: '车库进水', en: 'garage water' } })), { qos: 1 });
    for (const board of boards) await waitFor('the case on both boards', async () => (await board.get<BoardCaseView[]>('/api/alarms')).find((c) => c.caseId === 'gw-s.ev-2w'));
    const [one, two] = await Promise.all(boards.map((b) => b.get<BoardCaseView[]>('/api/alarms')));
    expect(one).toEqual(two);
    expect(one!.filter((c) => c.caseId.startsWith('gw-s.'))).toHaveLength(1);
    const c = one!.find((x) => x.caseId === 'gw-s.ev-2w')!;
    const answer = await boards[0]!.post(`/api/alarms/${c.caseId}/step`, { step: 'dispatched', version: c.version, to: '物业 张师傅' });
    expect(answer.status).toBe(200);
    // Worker 2's live feed has the step taken on worker 1 (LISTEN/NOTIFY through PostgreSQL).
    const onTwo = await waitFor('the step on worker 2\'s feed', () => {
      const last = latest(boards[1]!, c.caseId);
      return last?.step === 'dispatched' && last;
    });
    expect(onTwo.steps.at(-1)).toMatchObject({ step: 'dispatched', by: 'li', to: '物业 张师傅' });
    expect(await boards[1]!.get(`/api/alarms`)).toEqual(await boards[0]!.get(`/api/alarms`));
  }, 60_000);

  it('gives two officers acting at once on different workers one success and one clear conflict', async () => {
    const c = (await boards[0]!.get<BoardCaseView[]>('/api/alarms')).find((x) => x.caseId === 'gw-s.ev-2w')!;
    const results = await Promise.all([
      boards[0]!.post(`/api/alarms/${c.caseId}/step`, { step: 'handled', version: c.version, note: '李：已抽水' }),
      boards[1]!.post(`/api/alarms/${c.caseId}/step`, { step: 'handled', version: c.version, note: '赵：已抽水' }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const conflict = results.find((r) => r.status === 409)!;
    expect(conflict.body.conflict).toBe(true);
    expect(String(conflict.body.error)).toMatch(/案件已被 (li|zhao) 更新.*changed by (li|zhao)/);
    const stored = (await workers[1]!.alarms.get(c.caseId))!;
    expect(stored.steps.filter((s) => s.step === 'handled')).toHaveLength(1);
    for (const board of boards) await waitFor('both boards at the handled step', () => latest(board, c.caseId)?.step === 'handled');
  }, 60_000);

  it('escalates a late case once, however many workers check', async () => {
    await gateway.publishAsync('lm/v1/gw-s/a/ev-late', JSON.stringify(alarmEvent({ eventId: 'ev-late', alarmId: 'door/open', source: 'door', level: 'warning', text: { zh: '消防门常开', en: 'fire door held open' } })), { qos: 1 });
    await waitFor('the late case', () => workers[0]!.alarms.get('gw-s.ev-late'));
    offsetMs = 2 * 3600_000;
    await Promise.all(workers.map((w) => w.workflowServices!.escalation.tick()));
    const c = (await workers[0]!.alarms.get('gw-s.ev-late'))!;
    expect([c.overdue, c.escalations, c.assignee]).toEqual([true, 1, 'zhao']);
    expect(c.steps.filter((s) => s.step === 'escalated')).toHaveLength(1);
  }, 60_000);
});
