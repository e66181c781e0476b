// scan and probe against a pymodbus RTU slave through a socat pty pair. The commands open the line at
// 19200 even, but a pty ignores baud and parity: every setting reaches the slave, so the scan finds the
// units at the FIRST setting it tries. The search across settings is tested in scan-search.test.ts.
// The slave stores its float32 CDAB (low word first), a common non-default word order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeCommand } from '../../../gateway/cli/probe.js';
import { scanCommand } from '../../../gateway/cli/scan.js';
import { openModbusLink, rtuBus } from '../../../gateway/installer/modbus-link.js';
import { float32Words, startPtyPair, startPymodbusRtu, startPymodbusTcp, type PtyPair } from '../../helpers/pymodbus.js';
import type { Peer } from '../../helpers/peers.js';

let pty: PtyPair;
let slave: Omit<Peer, 'port'>;

function cdab(value: number): [number, number] {
  const [hi, lo] = float32Words(value);
  return [lo, hi];
}

function capture() {
  let out = '';
  let err = '';
  return {
    io: { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) } },
    out: () => out,
    err: () => err,
  };
}

beforeAll(async () => {
  pty = await startPtyPair();
  slave = await startPymodbusRtu(pty.deviceSide, {
    3: { ir: [[0, [...cdab(230.5), 0, 0, 0, 0, ...cdab(4.25)]]] }, // an SDM120 wired with CDAB word order
    9: { hr: [[0, [42]]] },
  });
});

afterAll(async () => {
  await slave?.stop();
  await pty?.stop();
});

describe('lastmile scan on a pty', () => {
  it('finds both units at the first setting tried, with the function code that answered', async () => {
    const c = capture();
    // A generous per-unit timeout: pymodbus behind socat answers in milliseconds on a quiet box, but CI
    // runs this beside other suites, and a slow answer must not read as a missing unit.
    const code = await scanCommand(['--port', pty.gatewaySide, '--bauds', '19200', '--parities', 'even,none', '--units', '1-10', '--timeout', '800ms'], c.io);
    expect(code, c.err()).toBe(0);
    expect(c.out()).toMatch(/^scanning .*2 setting\(s\) × 10 unit\(s\), at most ~\d+ s/);
    const rows = c.out().split('\n').filter((l) => /^\s+\d+\s+19200/.test(l));
    expect(rows[0]).toMatch(/^\s+3\s+19200\s+even\s+FC03 exception 2 .*; FC04 data 0x8000/);
    expect(rows[1]).toMatch(/^\s+9\s+19200\s+even\s+FC03 data 0x002a/);
    expect(c.err()).toContain('[100%]');
  }, 60_000);
});

describe('lastmile scan over Modbus TCP', () => {
  it('finds the units behind a TCP endpoint (an RS-485-to-Ethernet converter) without trying serial settings', async () => {
    const tcp = await startPymodbusTcp({ 2: { ir: [[0, [1]]] }, 4: { hr: [[0, [7]]] } });
    try {
      const c = capture();
      const code = await scanCommand(['--host', '127.0.0.1', '--tcp-port', String(tcp.port), '--units', '1-5', '--timeout', '150ms'], c.io);
      expect(code, c.err()).toBe(0);
      expect(c.out()).toContain(`scanning tcp://127.0.0.1:${tcp.port}: 1 setting(s) × 5 unit(s)`);
      const rows = c.out().split('\n').filter((l) => /^\s+\d+\s+tcp/.test(l));
      expect(rows).toHaveLength(2);
      expect(rows[0]).toMatch(/^\s+2\s+tcp\s+-\s+FC03 exception 2 .*; FC04 data 0x0001/);
      expect(rows[1]).toMatch(/^\s+4\s+tcp\s+-\s+FC03 data 0x0007/);
    } finally {
      await tcp.stop();
    }
  }, 20_000);
});

describe('lastmile probe on a pty', () => {
  it('shows the CDAB float as the plausible decoding, apart from the profile\'s ABCD', async () => {
    const c = capture();
    const code = await probeCommand(
      ['--port', pty.gatewaySide, '--baud', '19200', '--parity', 'even', '--unit', '3', '--fc', '4', '--address', '0', '--count', '2', '--profile', 'eastron/sdm120'],
      c.io,
    );
    expect(code, c.err()).toBe(0);
    const floatRow = c.out().split('\n').find((l) => /^\s+0x0000\s+30001\s+float32/.test(l));
    expect(floatRow).toBeDefined();
    const [abcd, cdabCell] = floatRow!.replace(/^\s+0x0000\s+30001\s+float32\s+/, '').split(/\s{2,}/);
    expect(abcd).toContain('◀');
    expect(abcd).not.toContain('★');
    expect(cdabCell).toBe('230.5 ★');
    expect(c.out()).toContain('voltage (电压 Voltage) @ 0x0000 float32 ABCD → ');
    expect(c.out()).toContain('✗ implausible');
    expect(c.out()).toContain('most plausible / 最合理: float32 CDAB at wire 0x0000 (as given / 按输入地址) = 230.5');
    expect(c.out()).toContain('differs from the profile');
  }, 20_000);

  it('reads a 1-based manual number and shows the value under the minus-1 base', async () => {
    const c = capture();
    const code = await probeCommand(['--port', pty.gatewaySide, '--unit', '3', '--fc', '4', '--address', '7', '--count', '2', '--expect', '4.2'], c.io);
    expect(code, c.err()).toBe(0);
    // Wire 6 holds the float; typing 7 (a 1-based register number) finds it under "minus 1".
    expect(c.out()).toContain('most plausible / 最合理: float32 CDAB at wire 0x0006 (minus 1 / 地址减 1) = 4.25');
  }, 20_000);

  it('converts a 30001-style number and names a silent unit', async () => {
    const c = capture();
    const code = await probeCommand(['--port', pty.gatewaySide, '--unit', '5', '--fc', '4', '--address', '30001', '--timeout', '150ms'], c.io);
    expect(code).toBe(1);
    expect(c.out()).toContain('30001 read as a manual number → wire address 0');
    expect(c.err()).toContain('no answer');
  }, 20_000);

  it('names a port held by the running gateway', async () => {
    const holder = openModbusLink(rtuBus(pty.gatewaySide, { baud: 9600, parity: 'none' }, 100));
    try {
      expect(await holder.ask(3, 4, 0, 2)).toMatchObject({ kind: 'data' });
      const c = capture();
      expect(await probeCommand(['--port', pty.gatewaySide, '--unit', '3', '--fc', '4', '--address', '0'], c.io)).toBe(1);
      expect(c.err()).toContain('port in use: stop the gateway first');
    } finally {
      await holder.close();
    }
  }, 20_000);
});
