// A simulated access controller bridge (Hikvision event codes, reference §3.5) publishing JSON events
// to the local broker with its own device credentials, as a real bridge on the compound's LAN would.
import { connectAsync, type MqttClient } from 'mqtt';

/** Hikvision MAJOR_EVENT minor codes the demo uses. */
export const ACS_MINOR = { doorOpen: 0x19, doorClosed: 0x1a, doorForced: 0x1b } as const;

export class AccessControllerSimulator {
  private client: MqttClient | undefined;

  constructor(
    private readonly options: { url: string; username: string; password: string; topic: string },
  ) {}

  async start(): Promise<void> {
    this.client = await connectAsync(this.options.url, {
      username: this.options.username,
      password: this.options.password,
      clientId: `${this.options.username}-sim`,
      reconnectPeriod: 1000,
    });
  }

  /** Publishes one event as the bridge does: {"major":5,"minor":<code>,"door":1,"time":"…"}. */
  async event(minor: number, door = 1): Promise<void> {
    const payload = JSON.stringify({ major: 5, minor, door, time: new Date().toISOString() });
    await this.client?.publishAsync(this.options.topic, payload, { qos: 1 });
  }

  async stop(): Promise<void> {
    await this.client?.endAsync();
    this.client = undefined;
  }
}
