// "Node silent" after exactly 3 missed heartbeats (PROTOCOL.md §7), checked from both sides with fake
// timers: not one millisecond before the window (3 heartbeat intervals plus the retransmits a heartbeat
// may need), and at the window, not later. Once with the link's own default and once with the serial-node
// driver's option default, since the driver always passes its own value down.
import type { Duplex } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GatewayLink, type GatewayLinkOptions } from '../../firmware-bridge/gateway-link.js';
import { NodeSimulator } from '../../firmware-bridge/node-simulator.js';
import type { NodeLinkEvents } from '../../firmware-bridge/topics.js';
import { serialLinkTiming } from '../../gateway/drivers/serial/options.js';
import { duplexPair } from './duplex-pair.js';

const HEARTBEAT_MS = 1000;
const ACK_TIMEOUT_MS = 40;
const MAX_RETRIES = 3;
/** What PROTOCOL.md §7 promises: three missed heartbeats, plus a heartbeat's retransmits. */
const WINDOW_MS = 3 * HEARTBEAT_MS + MAX_RETRIES * ACK_TIMEOUT_MS;

const clock = { mono: () => Date.now(), now: () => Date.now(), synced: () => false };
const cleanups: (() => void)[] = [];
beforeEach(() => {
  vi.useFakeTimers({ now: Date.UTC(2026, 11, 1) });
});
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  vi.useRealTimers();
});

function pair(silentAfterBeats: number | undefined) {
  const [g, n]: [Duplex, Duplex] = duplexPair();
  const silent: NodeLinkEvents['silent'][] = [];
  const heard: number[] = [];
  const options: GatewayLinkOptions = { clock, ackTimeoutMs: ACK_TIMEOUT_MS, maxRetries: MAX_RETRIES, ...(silentAfterBeats === undefined ? {} : { silentAfterBeats }) };
  const link = new GatewayLink([{ node: 7, maxHeartbeatMs: HEARTBEAT_MS }], options, (event, payload) => {
    if (event === 'silent') silent.push(payload as NodeLinkEvents['silent']);
    if (event === 'heartbeat' || event === 'online') heard.push((payload as { mono: number }).mono);
  });
  link.attach(g);
  const sim = new NodeSimulator(n, { nodeId: 7, heartbeatMs: HEARTBEAT_MS, ackTimeoutMs: ACK_TIMEOUT_MS, maxRetries: MAX_RETRIES, helloRetryMs: 50 });
  cleanups.push(() => sim.stop(), () => link.close());
  sim.start();
  return { sim, silent, heard };
}

/** Runs the node for a few heartbeats, stops it right after one was heard, then walks the clock to the window's edge. */
async function silenceBounds(silentAfterBeats: number | undefined) {
  const { sim, silent, heard } = pair(silentAfterBeats);
  // HELLO and three heartbeats; each heartbeat is acknowledged at once, so none is retransmitted.
  while (heard.length < 4) await vi.advanceTimersByTimeAsync(10);
  sim.stop();
  const lastHeard = heard.at(-1)!;
  await vi.advanceTimersByTimeAsync(lastHeard + WINDOW_MS - 1 - Date.now());
  const beforeWindow = silent.length;
  await vi.advanceTimersByTimeAsync(1);
  return { beforeWindow, atWindow: [...silent], lastHeard };
}

describe('serial node silence after 3 missed heartbeats (fake clock)', () => {
  it('the link default: silent at the window, not before it', async () => {
    const { beforeWindow, atWindow, lastHeard } = await silenceBounds(undefined);
    expect(beforeWindow).toBe(0);
    expect(atWindow).toEqual([{ node: 7, silentMs: WINDOW_MS, heartbeatMs: HEARTBEAT_MS, everHeard: true, mono: lastHeard + WINDOW_MS }]);
  });

  it("the serial-node driver's default: silent at the window, not before it", async () => {
    const { beforeWindow, atWindow } = await silenceBounds(serialLinkTiming().silentAfterBeats);
    expect(beforeWindow).toBe(0);
    expect(atWindow).toHaveLength(1);
    expect(atWindow[0]!.silentMs).toBe(WINDOW_MS);
  });

  it('a node heard within the window never goes silent', async () => {
    const { silent, heard } = pair(undefined);
    while (heard.length < 2) await vi.advanceTimersByTimeAsync(10);
    // Ten windows' worth of heartbeats: each resets the window.
    await vi.advanceTimersByTimeAsync(10 * WINDOW_MS);
    expect(heard.length).toBeGreaterThanOrEqual(30);
    expect(silent).toEqual([]);
  });
});
