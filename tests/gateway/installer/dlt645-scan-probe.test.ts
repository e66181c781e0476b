// `lastmile scan --protocol dlt645` and `lastmile probe --protocol dlt645` through the real CLI functions,
// against the meter simulator on a socat pty pair.
import { afterEach, describe, expect, it } from 'vitest';
import { probeCommand } from '../../../gateway/cli/probe.js';
import { scanCommand } from '../../../gateway/cli/scan.js';
import { ProfileIndex } from '../../../gateway/devices/profile-index.js';
import { Dlt645MeterSimulator } from '../../../gateway/sim/dlt645-meter.js';
import { startPtyPair } from '../drivers/serial/pty-pair.js';

const SINGLE = ProfileIndex.load().get('generic/dlt645-single-phase')!;
const A = '000012345678';
const B = '000012345679';

function io() {
  let out = '';
  let err = '';
  return { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) }, out: () => out, err: () => err };
}

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

async function meters(addresses: string[]): Promise<{ port: string; sim: Dlt645MeterSimulator }> {
  const pair = await startPtyPair('dlt645-scan');
  cleanups.push(() => pair.stop());
  const sim = new Dlt645MeterSimulator(addresses.map((address) => ({ address, profile: SINGLE, scenario: () => ({ voltage: 221.3, import_energy: 1234.56 }) })));
  await sim.openSerial(pair.a);
  cleanups.push(() => sim.stop());
  return { port: pair.b, sim };
}

describe('lastmile scan --protocol dlt645', () => {
  it('finds the one meter on the bus through the wildcard address', async () => {
    const { port } = await meters([A]);
    const cli = io();
    expect(await scanCommand(['--protocol', 'dlt645', '--port', port, '--bauds', '2400', '--parities', 'even', '--timeout', '1s'], cli)).toBe(0);
    expect(cli.out()).toContain(`one meter answers the wildcard: ${A}`);
    expect(cli.out()).toContain(`meter: "${A}"`);
  }, 60_000);

  it('says when more than one meter answers the wildcard, and checks nameplate addresses one by one', async () => {
    const { port } = await meters([A, B]);
    const cli = io();
    const dead = '000099999999';
    expect(await scanCommand(['--protocol=dlt645', '--port', port, '--bauds', '2400', '--parities', 'even', '--timeout', '1s', '--meters', `${A},${B},${dead}`], cli)).toBe(0);
    expect(cli.out()).toContain('more than one meter answers the wildcard');
    expect(cli.out()).not.toContain('one meter answers the wildcard:');
    expect(cli.out()).toContain(`meter ${A}: answers: forward active energy 1234.56 kWh`);
    expect(cli.out()).toContain(`meter ${B}: answers: forward active energy 1234.56 kWh`);
    expect(cli.out()).toContain(`meter ${dead}: no answer`);
  }, 60_000);

  it('finds the meter behind a serial server (--host/--tcp-port) without trying line settings', async () => {
    const sim = new Dlt645MeterSimulator([{ address: A, profile: SINGLE, scenario: () => ({ import_energy: 88.5 }) }]);
    const port = await sim.listenTcp('127.0.0.1', 0);
    cleanups.push(() => sim.stop());
    const cli = io();
    expect(await scanCommand(['--protocol', 'dlt645', '--host', '127.0.0.1', '--tcp-port', String(port), '--meters', A], cli)).toBe(0);
    expect(cli.out()).toContain(`tcp://127.0.0.1:${port}: one meter answers the wildcard: ${A}`);
    expect(cli.out()).toContain(`meter ${A}: answers: forward active energy 88.50 kWh`);
    expect(cli.out()).toContain('1 setting(s)');
  }, 60_000);

  it('says nothing answered on a silent line, with exit code 1', async () => {
    const { port, sim } = await meters([A]);
    sim.setSilent(A, true);
    const cli = io();
    expect(await scanCommand(['--protocol', 'dlt645', '--port', port, '--bauds', '2400', '--parities', 'even', '--timeout', '200ms'], cli)).toBe(1);
    expect(cli.out()).toContain('no meter answered');
  }, 60_000);

  it('rejects an unknown protocol and a malformed meter address as usage errors', async () => {
    const cli = io();
    expect(await scanCommand(['--protocol', 'bacnet', '--port', '/dev/null'], cli)).toBe(2);
    expect(cli.err()).toContain('--protocol bacnet');
    expect(await scanCommand(['--protocol', 'dlt645', '--port', '/dev/null', '--meters', '1234'], cli)).toBe(2);
    expect(cli.err()).toContain('"1234" is not a 12-digit meter address');
  });
});

describe('lastmile probe --protocol dlt645', () => {
  it('reads a DI and prints it decoded under the profile', async () => {
    const { port } = await meters([A]);
    const cli = io();
    expect(await probeCommand(['--protocol', 'dlt645', '--port', port, '--meter', A, '--di', '02010100', '--profile', SINGLE.id], cli)).toBe(0);
    expect(cli.out()).toContain(`meter ${A} DI 02010100`);
    expect(cli.out()).toContain('voltage (XXX.X): 221.3 V');
  }, 60_000);

  it('without a profile, shows the formats that fit the length', async () => {
    const { port } = await meters([A]);
    const cli = io();
    expect(await probeCommand(['--protocol', 'dlt645', '--port', port, '--meter', A, '--di', '00010000'], cli)).toBe(0);
    expect(cli.out()).toMatch(/XXXXXX\.XX\s+1234\.56/);
  }, 60_000);

  it('an error reply is reported with its error byte, exit code 1', async () => {
    const { port, sim } = await meters([A]);
    sim.refuse(A, '02010100', 0x04);
    const cli = io();
    expect(await probeCommand(['--protocol', 'dlt645', '--port', port, '--meter', A, '--di', '02010100'], cli)).toBe(1);
    expect(cli.err()).toContain('password or authorisation error');
  }, 60_000);
});
