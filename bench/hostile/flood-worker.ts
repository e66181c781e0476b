// The hostile side of bench:hostile in a child process: its own event loop and memory, so the floods'
// clients (mqtt.js, fetch) count neither as the township's stalls nor in its RSS; only the CPU is
// shared, as on a real server. Takes one FloodTask message, answers with one result, and exits.
import mqtt from 'mqtt';
import { topics } from '../../contract/wire.js';
import { alarmEvent } from '../../tests/cloud-ingest/fixture.js';
import { FULL_CORPUS, hostileCorpus } from './corpus.js';
import { ReceiptTracker, sendCorpus } from './township.js';

export interface FloodTask {
  readonly kind: 'corpus' | 'broker-login' | 'console-login' | 'alarm';
  readonly brokerPort: number;
  readonly consolePort: number;
  readonly gateway: string;
  readonly password: string;
  readonly seed: number;
  readonly ms: number;
  readonly parallel: number;
  readonly count: number;
  readonly consoleUser: string;
}

async function connect(task: FloodTask): Promise<mqtt.MqttClient> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${task.brokerPort}`, { clientId: task.gateway, username: task.gateway, password: task.password, reconnectPeriod: 0, connectTimeout: 10_000, protocolVersion: 4 });
  await client.subscribeAsync(topics.receipt(task.gateway), { qos: 1 });
  return client;
}

async function brokerLogins(task: FloodTask): Promise<Record<string, unknown>> {
  const end = Date.now() + task.ms;
  let attempts = 0;
  let accepted = 0;
  const one = async (i: number): Promise<void> => {
    while (Date.now() < end) {
      attempts++;
      const id = i % 2 ? task.gateway : `gw-ghost-${i}`;
      const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${task.brokerPort}`, { clientId: id, username: id, password: `wrong-${attempts}`, reconnectPeriod: 0, connectTimeout: 5000, protocolVersion: 4 }).catch(() => undefined);
      if (client) {
        accepted++;
        client.end(true);
      }
    }
  };
  await Promise.all(Array.from({ length: task.parallel }, (_, i) => one(i)));
  return { attempts, accepted };
}

async function consoleLogins(task: FloodTask): Promise<Record<string, unknown>> {
  const end = Date.now() + task.ms;
  const statuses: Record<string, number> = {};
  const one = async (i: number): Promise<void> => {
    while (Date.now() < end) {
      const res = await fetch(`http://127.0.0.1:${task.consolePort}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: i % 2 ? task.consoleUser : `ghost-${i}`, password: `guess-${i}-${Math.random()}` }) }).catch(() => undefined);
      const key = String(res?.status ?? 'error');
      statuses[key] = (statuses[key] ?? 0) + 1;
      await res?.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: task.parallel }, (_, i) => one(i)));
  return { statuses };
}

async function alarms(task: FloodTask): Promise<Record<string, unknown>> {
  const client = await connect(task);
  const tracker = new ReceiptTracker(client, task.gateway);
  let receipted = 0;
  const inFlight = new Set<Promise<void>>();
  for (let i = 0; i < task.count; i++) {
    while (inFlight.size >= task.parallel) await Promise.race(inFlight);
    const eventId = `flood-${task.seed}-${i}`;
    const event = alarmEvent({ eventId, alarmId: `smoke-${i % 300}:smoke`, source: `smoke-${i % 300}`, level: 'fire' });
    const receipt = tracker.wait('a', eventId, 30_000);
    const work = client.publishAsync(topics.alarm(task.gateway, eventId), Buffer.from(JSON.stringify(event)), { qos: 1 }).then(async () => {
      if (await receipt) receipted++;
    });
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  }
  await Promise.all([...inFlight]);
  client.end(true);
  return { sent: task.count, receipted };
}

async function corpus(task: FloodTask): Promise<Record<string, unknown>> {
  const client = await connect(task);
  const cases = [...hostileCorpus(task.seed, FULL_CORPUS)];
  const outcome = await sendCorpus(client, task.gateway, cases);
  client.end(true);
  return { ...outcome };
}

process.once('message', (task: FloodTask) => {
  const run = { corpus, 'broker-login': brokerLogins, 'console-login': consoleLogins, alarm: alarms }[task.kind];
  run(task).then(
    (result) => process.send!(result, () => process.exit(0)),
    (error: Error) => {
      process.stderr.write(`[bench:hostile] flood ${task.kind} failed: ${error.stack ?? error.message}\n`);
      process.exit(1);
    },
  );
});
