// The simulated gateways of bench:ingest, in a child process of their own (issue 18: like with like).
// In one process with cloud-ingest, the gateways' mqtt.js work (publishing 5,000-measurement batches,
// reading PUBACKs and receipts) ran on the worker's event loop and counted as the worker's CPU, while the
// direct baseline's client has no such load beside it; in a township the gateways are other machines.
// Here they have their own event loop and CPU account; only the box's two cores are shared.
// Protocol (IPC): the parent sends a GatewaysTask; the child connects, subscribes and makes every payload,
// answers {ready}; on {go} it publishes, each gateway keeping at most maxInflight batches unreceipted, and
// answers {done, receipted, cpuS} at the last receipt, then exits on {stop}.
import { gzipSync } from 'node:zlib';
import mqtt from 'mqtt';
import { parseReceipt, topics } from '../contract/wire.js';

export interface GatewaysTask {
  readonly port: number;
  readonly gateways: readonly { readonly gateway: string; readonly password: string }[];
  readonly t0: number;
  readonly batchesPerGateway: number;
  readonly maxInflight: number;
}

export type GatewaysReport = { readonly ready: true } | { readonly done: true; readonly receipted: number; readonly cpuS: number } | { readonly failed: string };

export const LINES_PER_BATCH = 1000;
export const FIELDS_PER_LINE = 5; // 5000 measurements per batch = the uplink's default batchMaxMeasurements

/** A gateway's batches as lines; tagged lines look exactly like what cloud-ingest writes (identity tags last). */
export function makeBatches(gateway: string, t0: number, tagged: boolean, batches: number): string[][] {
  const identity = tagged ? `,township=bench-town,compound=c-${gateway},gateway=${gateway}` : '';
  return Array.from({ length: batches }, (_, b) =>
    Array.from({ length: LINES_PER_BATCH }, (_, l) => `power,building=${l % 12},source=meter-${l}${identity} voltage=${220 + (b % 10)},current=${(l % 50) / 10},active_power=${l * 3},power_factor=0.95,import_energy=${b * 1000 + l} ${t0 + b}`),
  );
}

async function run(task: GatewaysTask, send: (report: GatewaysReport) => void, go: Promise<void>): Promise<void> {
  // One at a time: the broker limits concurrent password checks per address (all of these are 127.0.0.1).
  const clients: mqtt.MqttClient[] = [];
  for (const g of task.gateways) clients.push(await mqtt.connectAsync(`mqtt://127.0.0.1:${task.port}`, { clientId: g.gateway, username: g.gateway, password: g.password, reconnectPeriod: 0 }));
  const payloads = task.gateways.map((g) => makeBatches(g.gateway, task.t0, false, task.batchesPerGateway).map((lines) => gzipSync(lines.join('\n'))));
  // Receipts say a batch is stored; a PUBACK only that the broker has it.
  const receipted = new Map<string, () => void>();
  let count = 0;
  await Promise.all(
    clients.map(async (client, g) => {
      const gateway = task.gateways[g]!.gateway;
      client.on('message', (_topic, payload) => {
        for (const item of parseReceipt(payload)?.items ?? []) receipted.get(`${gateway}/${item.id}`)?.();
      });
      await client.subscribeAsync(topics.receipt(gateway), { qos: 1 });
    }),
  );
  send({ ready: true });
  await go;
  const cpu0 = process.cpuUsage();
  await Promise.all(
    clients.map(async (client, g) => {
      const gateway = task.gateways[g]!.gateway;
      let next = 0;
      const lane = async () => {
        while (next < payloads[g]!.length) {
          const id = `b${next}`;
          const stored = new Promise<void>((resolve, reject) => {
            // Bounded: a receipt that never comes fails the bench.
            const timer = setTimeout(() => reject(new Error(`bench:ingest: no receipt for ${gateway}/${id} in 120 s`)), 120_000);
            receipted.set(`${gateway}/${id}`, () => (clearTimeout(timer), count++, resolve()));
          });
          await client.publishAsync(topics.telemetry(gateway, id), payloads[g]![next++]!, { qos: 1 });
          await stored;
        }
      };
      await Promise.all(Array.from({ length: task.maxInflight }, lane));
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  send({ done: true, receipted: count, cpuS: (cpu.user + cpu.system) / 1e6 });
  await Promise.all(clients.map((c) => c.endAsync(true)));
}

if (process.send) {
  const send = (report: GatewaysReport) => process.send!(report);
  let start: () => void = () => undefined;
  const go = new Promise<void>((resolve) => (start = resolve));
  process.on('message', (message: GatewaysTask | { go: true } | { stop: true }) => {
    if ('stop' in message) process.exit(0);
    else if ('go' in message) start();
    else run(message, send, go).catch((error: Error) => process.send!({ failed: error.message } satisfies GatewaysReport, () => process.exit(1)));
  });
}
