// The common MQTT sink: counts the measurements (line-protocol fields) each side delivers (lastmile: gzip'd line protocol
// batches on lm/v1/<gw>/t/<batch>; Node-RED: plain line protocol per read block) and timestamps the
// water_alarm messages (lastmile: mqtt-notice JSON on lastmile/notice/<alarmId>; Node-RED: its JSON).
// For lastmile it also plays cloud-ingest's part of the contract: every telemetry batch and alarm event
// gets a receipt, without which the gateway frees nothing and stops at its in-flight window; a batch
// resent with the same id is counted once.
import { performance } from 'node:perf_hooks';
import { gunzipSync } from 'node:zlib';
import type { MqttClient } from 'mqtt';
import { parseTopic, TOPIC_ROOT, topics, type Receipt, type ReceiptItem } from '../../contract/wire.js';

type Side = 'lastmile' | 'node_red';
type State = 'raised' | 'cleared';

export class SinkCounter {
  readonly lines: Record<Side, number> = { lastmile: 0, node_red: 0 };
  private waiters: { side: Side; state: State; resolve: (at: number) => void }[] = [];
  private readonly seenBatches = new Set<string>();

  constructor(
    private readonly client: MqttClient,
    private readonly nodeRedTelemetry: string,
    private readonly nodeRedAlarm: string,
  ) {
    client.on('message', (topic, payload, packet) => {
      const at = performance.now();
      const lastmile = topic.startsWith(`${TOPIC_ROOT}/`) ? parseTopic(topic) : undefined;
      if (lastmile?.kind === 'telemetry') {
        if (!this.seenBatches.has(topic)) this.lines.lastmile += countFields(gunzipSync(payload).toString());
        this.seenBatches.add(topic);
        this.receipt(lastmile.gateway, { kind: 't', id: lastmile.batchId, status: 'stored' });
      } else if (lastmile?.kind === 'alarm') this.receipt(lastmile.gateway, { kind: 'a', id: lastmile.eventId, status: 'stored' });
      else if (topic === nodeRedTelemetry) this.lines.node_red += countFields(payload.toString());
      else if (topic === nodeRedAlarm) this.alarm('node_red', payload, at);
      else if (topic.startsWith('lastmile/notice/') && !packet.retain) this.alarm('lastmile', payload, at);
    });
  }

  async subscribe(): Promise<void> {
    await this.client.subscribeAsync([`${TOPIC_ROOT}/+/t/+`, `${TOPIC_ROOT}/+/a/+`, this.nodeRedTelemetry, this.nodeRedAlarm, 'lastmile/notice/#'], { qos: 1 });
  }

  async waitForTelemetry(side: Side, timeoutMs: number): Promise<void> {
    const start = this.lines[side];
    const deadline = Date.now() + timeoutMs;
    while (this.lines[side] === start) {
      if (Date.now() > deadline) throw new Error(`bench:peer: no telemetry from ${side} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Resolves with the arrival time of the side's next water_alarm message in that state. */
  nextAlarm(side: Side, state: State, timeoutMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`bench:peer: no ${state} water_alarm from ${side} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ side, state, resolve: (at) => (clearTimeout(timer), resolve(at)) });
    });
  }

  async close(): Promise<void> {
    await this.client.endAsync();
  }

  private receipt(gateway: string, item: ReceiptItem): void {
    const receipt: Receipt = { v: 1, items: [item] };
    this.client.publish(topics.receipt(gateway), JSON.stringify(receipt), { qos: 1 });
  }

  private alarm(side: Side, payload: Buffer, at: number): void {
    const message = JSON.parse(payload.toString()) as { rule?: string; state?: string };
    if (message.rule !== 'water_alarm') return;
    const state: State = message.state === 'cleared' ? 'cleared' : 'raised';
    const match = this.waiters.filter((w) => w.side === side && w.state === state);
    this.waiters = this.waiters.filter((w) => !match.includes(w));
    for (const w of match) w.resolve(at);
  }
}

/** Fields (= measurements) in line protocol: commas in the field set outside quoted strings, plus one per line. */
function countFields(text: string): number {
  let n = 0;
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    let part = 0; // 0 measurement+tags, 1 fields, 2 timestamp
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (c === '\\') i++;
      else if (c === '"' && part === 1) quoted = !quoted;
      else if (!quoted && c === ' ') part++;
      else if (!quoted && c === ',' && part === 1) n++;
    }
    n++;
  }
  return n;
}
