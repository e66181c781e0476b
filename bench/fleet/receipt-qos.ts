// What one receipt costs the broker at QoS 1 and at QoS 0 (issue 19): aedes as cloud-ingest's embedded
// broker runs it (`concurrency: 0`, no-delay sockets) in a process of its own, publishing a receipt-sized
// message to each of N persistent-session clients (subscribed at QoS 1, as the gateway's uplink is) in
// turn at a fixed rate; the broker process's CPU over the window divided by the messages sent, per QoS, in
// the order given (alternate them: the box is shared). The fleet bench's CPU per measurement moves by
// ±10 % between runs of one code, more than a receipt's share; this isolates that share.
// Run: npx tsx bench/fleet/receipt-qos.ts [--clients 200] [--rate 2000] [--seconds 15] [--order 1,0,0,1,1,0]
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { topics } from '../../contract/wire.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : process.argv[i + 1]!;
};
/** One receipt item for a batch id of the gateway's form: what most receipts at a compound's rhythm carry. */
const PAYLOAD = Buffer.from(JSON.stringify({ v: 1, items: [{ kind: 't', id: 'b-0123456789abcdef-000001', status: 'stored' }] }));
const TICK_MS = 10;

/** The broker side: listens on the port given, then for each `<qos> <rate> <seconds> <clients>` line on stdin publishes and reports. */
async function broker(port: number): Promise<void> {
  const aedes = await Aedes.createBroker({ concurrency: 0 });
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    aedes.handle(socket);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  process.stdout.write('ready\n');
  process.stdin.on('data', (line: Buffer) => {
    const [qos, rate, seconds, clients] = line.toString().trim().split(' ').map(Number) as [0 | 1, number, number, number];
    let sent = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const timer = setInterval(() => {
      for (let k = 0; k < (rate * TICK_MS) / 1000; k++) {
        aedes.publish({ cmd: 'publish', topic: topics.receipt(`gw-${sent % clients}`), payload: PAYLOAD, qos, retain: false, dup: false }, () => undefined);
        sent++;
      }
      if (performance.now() - t0 < seconds * 1000) return;
      clearInterval(timer);
      // The PUBACKs of the last messages (QoS 1) come in within this pause and are counted with them.
      setTimeout(() => {
        const cpu = process.cpuUsage(cpu0);
        process.stdout.write(JSON.stringify({ qos, sent, brokerCpuUsPerReceipt: Number(((cpu.user + cpu.system) / sent).toFixed(1)) }) + '\n');
      }, 500);
    }, TICK_MS);
  });
}

async function main(): Promise<void> {
  const clients = Number(arg('--clients', '200'));
  const rate = Number(arg('--rate', '2000'));
  const seconds = Number(arg('--seconds', '15'));
  const order = arg('--order', '1,0,0,1,1,0').split(',').map(Number);
  const server = createServer();
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--broker', String(port)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  let wake: () => void = () => undefined;
  child.stdout.on('data', (chunk: Buffer) => {
    lines.push(...chunk.toString().trim().split('\n'));
    wake();
  });
  const next = () => new Promise<string>((resolve) => {
    const look = () => (lines.length > 0 ? resolve(lines.shift()!) : (wake = look));
    look();
  });
  try {
    await next();
    const subscribers = await Promise.all(Array.from({ length: clients }, (_, k) => mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: `gw-${k}`, clean: false, reconnectPeriod: 0 })));
    let received = 0;
    for (const [k, client] of subscribers.entries()) {
      client.on('message', () => received++);
      await client.subscribeAsync(topics.receipt(`gw-${k}`), { qos: 1 });
    }
    const runs = [];
    for (const qos of order) {
      received = 0;
      const load = loadavg()[0]!;
      child.stdin.write(`${qos} ${rate} ${seconds} ${clients}\n`);
      const run = { ...(JSON.parse(await next()) as { qos: number; sent: number; brokerCpuUsPerReceipt: number }), received, loadAverage1m: Number(load.toFixed(2)) };
      process.stderr.write(`receipt-qos: ${JSON.stringify(run)}\n`);
      runs.push(run);
    }
    for (const client of subscribers) await client.endAsync(true);
    process.stdout.write(JSON.stringify({ bench: 'receipt-qos', clients, ratePerS: rate, seconds, payloadBytes: PAYLOAD.length, runs }, null, 2) + '\n');
  } finally {
    child.kill('SIGKILL');
  }
}

if (process.argv[2] === '--broker') await broker(Number(process.argv[3]));
else await main();
