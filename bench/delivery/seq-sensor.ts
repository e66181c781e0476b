// The sequence sensor: a QoS-1 MQTT device on the gateway's local broker that publishes {"seq": n} at a
// steady rate and records every PUBACK. Like a real device it keeps what was not acknowledged and sends
// it again, with the same seq, after it reconnects (MQTT 3.1.1 §4.4). It resends by itself instead of
// using mqtt.js's store, which replays one message per round trip and would hold new publishes behind
// the replay; each connection gets a fresh client so nothing is sent twice by the library as well.
import mqtt, { type MqttClient } from 'mqtt';

export interface SensorOptions {
  readonly url: string;
  readonly username: string;
  readonly password: string;
  readonly topic: string;
  readonly ratePerS: number;
}

export class SeqSensor {
  /** seq → how many times it went on the wire. */
  readonly sends = new Map<number, number>();
  readonly acked = new Set<number>();
  private readonly unacked = new Set<number>();
  /** When each number was measured (the device's own clock): a resend carries the same time. */
  private readonly measuredAt = new Map<number, number>();
  private lastMeasuredAt = 0;
  private next = 0;
  private client: MqttClient | undefined;
  private connected = false;
  private timer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private publishing = false;
  private ended = false;
  connects = 0;

  constructor(private readonly options: SensorOptions) {}

  get published(): number {
    return this.next;
  }

  get pending(): number {
    return this.unacked.size;
  }

  start(): void {
    this.startedAt = performance.now();
    this.publishing = true;
    this.connect();
    // Catch up by elapsed time, so a busy event loop does not lower the rate.
    this.timer = setInterval(() => {
      if (!this.publishing) return;
      const due = Math.floor(((performance.now() - this.startedAt) / 1000) * this.options.ratePerS);
      while (this.next < due) {
        const seq = this.next++;
        this.unacked.add(seq);
        // A real sensor measures each number at its own moment: one per millisecond at most.
        this.lastMeasuredAt = Math.max(Date.now(), this.lastMeasuredAt + 1);
        this.measuredAt.set(seq, this.lastMeasuredAt);
        if (this.connected) this.send(this.client!, seq);
      }
    }, 10);
  }

  /** No new numbers from now on; what is unacknowledged is still resent on every reconnect. */
  stopPublishing(): void {
    this.publishing = false;
  }

  async end(): Promise<void> {
    this.ended = true;
    this.publishing = false;
    clearInterval(this.timer);
    clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = undefined;
    await client?.endAsync(true);
  }

  private connect(): void {
    if (this.ended) return;
    const o = this.options;
    const client = mqtt.connect(o.url, { clientId: o.username, username: o.username, password: o.password, clean: true, reconnectPeriod: 0, connectTimeout: 5000, keepalive: 10 });
    this.client = client;
    client.on('connect', () => {
      this.connected = true;
      this.connects++;
      for (const seq of [...this.unacked].sort((a, b) => a - b)) this.send(client, seq);
    });
    client.on('error', () => undefined); // connection refused while the gateway restarts: retried below
    client.once('close', () => {
      if (this.client !== client) return;
      this.connected = false;
      this.client = undefined;
      client.end(true);
      if (!this.ended) this.reconnectTimer = setTimeout(() => this.connect(), 250);
    });
  }

  private send(client: MqttClient, seq: number): void {
    this.sends.set(seq, (this.sends.get(seq) ?? 0) + 1);
    client.publish(this.options.topic, JSON.stringify({ seq, ts: this.measuredAt.get(seq) }), { qos: 1 }, (error) => {
      // A callback from a client already replaced (its connection died) says nothing about delivery.
      if (error || this.client !== client) return;
      this.acked.add(seq);
      this.unacked.delete(seq);
      this.measuredAt.delete(seq);
    });
  }
}
