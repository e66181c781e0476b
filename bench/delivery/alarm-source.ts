// The alarm source: a second QoS-1 device whose value toggles the bench/alarm-switch threshold rule
// (>= 1,000,000 raises, below clears, not latching). Toggle k publishes 1,000,000 + k (raise) or k (clear),
// so every raise/clear event that reaches the township carries the value of the toggle it came from.
//
// One toggle is in flight at a time. A restarted gateway remembers no non-latching alarm, so after every
// reconnect to a new gateway process the first toggle is a raise: then each acknowledged toggle should
// produce exactly one event. A toggle not acknowledged is not resent (its fate is unknown and it is not
// counted). If the device reconnects to the same gateway process (a dropped connection, not a restart),
// the gateway's state is unknown until one toggle has been acknowledged, so that toggle is "uncertain".
import mqtt, { type MqttClient } from 'mqtt';

export const RAISE_BASE = 1_000_000;

export interface Toggle {
  readonly value: number;
  readonly transition: 'raise' | 'clear';
  /** Wall time (ms) it was published: its event, stamped by the gateway on the same host, comes after. */
  readonly sentAt: number;
  /** Acknowledged by the gateway (PUBACK). */
  acked: boolean;
  /** Sent to a gateway whose alarm state was unknown: no event is expected from it. */
  readonly uncertain: boolean;
}

export interface AlarmSourceOptions {
  readonly url: string;
  readonly username: string;
  readonly password: string;
  readonly topic: string;
  readonly meanIntervalMs: number;
  readonly random: () => number;
  /** Which gateway process is running now (SupervisedProcess.generation). */
  readonly gatewayGeneration: () => number;
}

export class AlarmSource {
  readonly toggles: Toggle[] = [];
  private client: MqttClient | undefined;
  private running = false;
  private loop: Promise<void> = Promise.resolve();

  constructor(private readonly options: AlarmSourceOptions) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async run(): Promise<void> {
    let lastGeneration = -1;
    let nextIsRaise = true;
    let stateKnown = false;
    while (this.running) {
      const client = await this.connectOnce();
      if (!client) {
        await pause(250);
        continue;
      }
      const generation = this.options.gatewayGeneration();
      if (generation !== lastGeneration) {
        nextIsRaise = true;
        stateKnown = true;
      } else {
        stateKnown = false;
      }
      lastGeneration = generation;
      while (this.running && client.connected) {
        const k = this.toggles.length;
        const toggle: Toggle = { value: nextIsRaise ? RAISE_BASE + k : k, transition: nextIsRaise ? 'raise' : 'clear', sentAt: Date.now(), acked: false, uncertain: !stateKnown };
        this.toggles.push(toggle);
        const ok = await publishAcked(client, this.options.topic, JSON.stringify({ level: toggle.value }), 10_000);
        if (!ok) break;
        toggle.acked = true;
        stateKnown = true;
        nextIsRaise = !nextIsRaise;
        await pause(this.options.meanIntervalMs * (0.5 + this.options.random()));
      }
      this.client = undefined;
      await client.endAsync(true);
    }
  }

  private connectOnce(): Promise<MqttClient | undefined> {
    const o = this.options;
    return new Promise((resolve) => {
      const client = mqtt.connect(o.url, { clientId: o.username, username: o.username, password: o.password, clean: true, reconnectPeriod: 0, connectTimeout: 5000, keepalive: 10 });
      client.on('error', () => undefined);
      client.once('connect', () => {
        this.client = client;
        resolve(client);
      });
      client.once('close', () => {
        if (this.client === client) return;
        client.end(true);
        resolve(undefined);
      });
    });
  }
}

/** True on PUBACK; false when the connection closes first or the wait times out. */
function publishAcked(client: MqttClient, topic: string, payload: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(false), timeoutMs);
    const onClose = () => done(false);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      client.off('close', onClose);
      resolve(ok);
    };
    client.once('close', onClose);
    client.publish(topic, payload, { qos: 1 }, (error) => done(!error));
  });
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
