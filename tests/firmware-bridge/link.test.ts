// Link behaviour (PROTOCOL.md §5–§7) between the node simulator and the gateway link over an in-memory
// cable: hello and version negotiation, lost answers → retransmit without duplicate delivery, give-up,
// garbage resync, gateway restart (hello_required), silence and resume. The real-line version of these
// runs over a socat pty pair in tests/gateway/drivers/serial/.
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayLink, type ExpectedNode } from '../../firmware-bridge/gateway-link.js';
import { NodeSimulator, type NodeSimulatorOptions } from '../../firmware-bridge/node-simulator.js';
import type { NodeLinkEvents } from '../../firmware-bridge/topics.js';
import { duplexPair } from './duplex-pair.js';
import { waitFor } from '../helpers/wait.js';

type Seen = { [K in keyof NodeLinkEvents]: { event: K; payload: NodeLinkEvents[K] } }[keyof NodeLinkEvents];

const clock = { mono: () => performance.now(), now: () => Date.now(), synced: () => true };
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function gateway(stream: Duplex, nodes: ExpectedNode[] = [{ node: 7, maxHeartbeatMs: 1000 }]) {
  const seen: Seen[] = [];
  const link = new GatewayLink(nodes, { clock, ackTimeoutMs: 40, maxRetries: 3 }, (event, payload) => seen.push({ event, payload } as Seen));
  link.attach(stream);
  cleanups.push(() => link.close());
  const of = <K extends keyof NodeLinkEvents>(event: K) => seen.filter((s) => s.event === event).map((s) => s.payload as NodeLinkEvents[K]);
  return { link, seen, of };
}

function node(stream: Duplex, options: Partial<NodeSimulatorOptions> = {}) {
  const sim = new NodeSimulator(stream, { nodeId: 7, heartbeatMs: 100, ackTimeoutMs: 40, maxRetries: 3, helloRetryMs: 50, ...options });
  cleanups.push(() => sim.stop());
  sim.start();
  return sim;
}

describe('gateway link ↔ node simulator', () => {
  it('accepts HELLO, agrees the heartbeat, sends TIME, and delivers DATA, EVENT and HEARTBEAT', async () => {
    const [g, n] = duplexPair();
    const gw = gateway(g);
    const sim = node(n, { heartbeatMs: 50_000, model: 'SD-1' });
    await sim.ready();
    expect(sim.agreedHeartbeatMs).toBe(1000); // clamped to the profile's heartbeat.every
    expect(gw.of('online')).toMatchObject([{ node: 7, cause: 'hello', heartbeatMs: 1000, hello: { model: 'SD-1' } }]);
    await waitFor('TIME', () => sim.gatewayTimeMs !== undefined);
    expect(Math.abs(sim.gatewayTimeMs! - Date.now())).toBeLessThan(5000);

    expect(await sim.sendData([{ index: 0, type: 'f32', value: 21.5 }])).toMatchObject({ kind: 'acked', attempts: 1 });
    expect(await sim.sendEvent('smoke', true)).toMatchObject({ kind: 'acked' });
    expect(gw.of('data')).toMatchObject([{ node: 7, entries: [{ index: 0, value: 21.5 }] }]);
    expect(gw.of('event')).toMatchObject([{ node: 7, event: { code: 1, active: true } }]);
    await waitFor('a heartbeat', () => gw.of('heartbeat').length > 0);
  });

  it('retransmits when answers are lost and delivers the DATA exactly once', async () => {
    const [g, n] = duplexPair();
    const gw = gateway(g);
    const sim = node(n, { heartbeatMs: 1000 });
    await sim.ready();
    sim.dropNextAnswers(2, 'data');
    const outcome = await sim.sendData([{ index: 3, type: 'u16', value: 1234 }]);
    expect(outcome).toMatchObject({ kind: 'acked', attempts: 3 });
    expect(sim.answersDropped).toBe(2);
    expect(gw.of('data')).toHaveLength(1);
    expect(gw.link.link.counters.duplicates).toBe(2);
    expect(gw.of('issue').filter((i) => i.kind === 'duplicate')).toHaveLength(2);
  });

  it('sends events ahead of queued data, keeping the events in their own order', async () => {
    const [g, n] = duplexPair();
    const gw = gateway(g);
    const sim = node(n, { heartbeatMs: 1000 });
    await sim.ready();
    const sent = [
      sim.sendData([{ index: 0, type: 'u8', value: 1 }]),
      sim.sendData([{ index: 0, type: 'u8', value: 2 }]),
      sim.sendEvent('smoke', true),
      sim.sendEvent('smoke', false),
    ];
    await Promise.all(sent);
    const order = gw.seen.filter((s) => s.event === 'data' || s.event === 'event').map((s) => (s.event === 'data' ? `data ${s.payload.entries[0]!.value}` : s.event === 'event' ? `smoke ${s.payload.event.active}` : ''));
    // The first DATA was already in flight when the events were queued.
    expect(order).toEqual(['data 1', 'smoke true', 'smoke false', 'data 2']);
  });

  it('gives a request up after 3 retransmits when nobody answers', async () => {
    const [, n] = duplexPair();
    const sim = new NodeSimulator(n, { nodeId: 7, ackTimeoutMs: 20, maxRetries: 3 });
    cleanups.push(() => sim.stop());
    sim.link.attach(n);
    expect(await sim.sendData([{ index: 0, type: 'u8', value: 1 }])).toEqual({ kind: 'gave_up', attempts: 4 });
    expect(sim.link.counters).toMatchObject({ retransmits: 3, gaveUp: 1 });
  });

  it('resyncs after garbage on the line and reports the dropped bytes with offsets', async () => {
    const [g, n] = duplexPair();
    const gw = gateway(g);
    const sim = node(n, { heartbeatMs: 1000 });
    await sim.ready();
    sim.injectGarbage(Buffer.from('\x00\xff\xa5\x5a\x03garbage\xa5', 'latin1'));
    await sim.sendData([{ index: 1, type: 'bool', value: true }]);
    sim.injectGarbage(Buffer.from([0xa5, 0x5a, 0xf0])); // a false start claiming 240 bytes
    await sim.sendEvent('tamper', true);
    expect(gw.of('data')).toHaveLength(1);
    expect(gw.of('event')).toMatchObject([{ event: { code: 4, active: true } }]);
    const dropped = gw.of('issue').filter((i) => i.kind === 'dropped');
    expect(dropped.reduce((n, d) => n + (d.kind === 'dropped' ? d.count : 0), 0)).toBe(16);
    expect(dropped[0]).toMatchObject({ kind: 'dropped', offset: expect.any(Number), count: 13 });
  });

  it('refuses an unknown major version with a clear NAK, and an unconfigured node id', async () => {
    const [g, n] = duplexPair();
    const gw = gateway(g);
    const sim = node(n, { protocol: { major: 2, minor: 0 } });
    await waitFor('rejection', () => sim.state === 'rejected');
    expect(sim.naks[0]).toEqual({ reason: 'unsupported_version', text: 'node speaks protocol 2.0, this gateway speaks 1.x' });
    // A node retransmits its hello until it hears back; on a loaded box the NAK can cross a retransmit,
    // and each copy is refused the same way.
    const rejected = gw.of('rejected');
    expect(rejected.length).toBeGreaterThanOrEqual(1);
    for (const r of rejected) expect(r).toMatchObject({ node: 7, reason: 'unsupported_version' });
    expect(gw.of('online')).toHaveLength(0);

    const [g2, n2] = duplexPair();
    const gw2 = gateway(g2);
    const stranger = node(n2, { nodeId: 9 });
    await waitFor('rejection of node 9', () => stranger.state === 'rejected');
    expect(stranger.naks[0]).toMatchObject({ reason: 'unknown_node' });
    expect(gw2.of('rejected').length).toBeGreaterThanOrEqual(1);
    for (const r of gw2.of('rejected')) expect(r).toMatchObject({ node: 9, reason: 'unknown_node' });
  });

  it('after a gateway restart the node is told hello_required and introduces itself again', async () => {
    const [g, n] = duplexPair();
    const first = gateway(g);
    const sim = node(n, { heartbeatMs: 100 });
    await sim.ready();
    first.link.close();
    const second = gateway(g);
    await waitFor('online on the new gateway', () => second.of('online').length > 0);
    expect(sim.naks.some((nak) => nak.reason === 'hello_required')).toBe(true);
    expect(second.of('online')[0]).toMatchObject({ cause: 'hello' });
  });

  it('marks a node silent after 3 missed heartbeats, and online again when it is heard', async () => {
    const [g, n] = duplexPair();
    const gw = gateway(g);
    const sim = node(n, { heartbeatMs: 100 });
    await sim.ready();
    const started = performance.now();
    sim.stop();
    await waitFor('silence', () => gw.of('silent').length > 0, 3000);
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(250); // window 3 × 100 + 3 × 40 ms from the last heartbeat (≤ 100 ms before stop)
    expect(gw.of('silent')[0]).toMatchObject({ node: 7, everHeard: true, heartbeatMs: 100 });

    const back = node(n, { heartbeatMs: 100 });
    await back.ready();
    expect(gw.of('online').map((o) => o.cause)).toEqual(['hello', 'hello']);
  });

  it('after the port was closed and reopened, the next heartbeat reports the node online again (resumed)', async () => {
    const [g, n] = duplexPair();
    const gw = gateway(g);
    const sim = node(n, { heartbeatMs: 100 });
    await sim.ready();
    gw.link.detach();
    gw.link.attach(g);
    await waitFor('online again', () => gw.of('online').length === 2);
    expect(gw.of('online').map((o) => o.cause)).toEqual(['hello', 'resumed']);
  });

  it('reports a configured node that never says HELLO as silent', async () => {
    const [g] = duplexPair();
    const seen: NodeLinkEvents['silent'][] = [];
    const probe = new GatewayLink([{ node: 3, maxHeartbeatMs: 100 }], { clock, ackTimeoutMs: 20, maxRetries: 1 }, (event, payload) => {
      if (event === 'silent') seen.push(payload as NodeLinkEvents['silent']);
    });
    cleanups.push(() => probe.close());
    probe.attach(g);
    await waitFor('silence of a node never heard', () => seen.length > 0);
    expect(seen[0]).toMatchObject({ node: 3, everHeard: false });
  });
});
