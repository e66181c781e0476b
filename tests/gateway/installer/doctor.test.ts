// lastmile doctor against real peers: a mosquitto broker (running, stopped, and one refusing the
// gateway's password) and a pymodbus TCP slave playing an SDM120. The clock probe is injected because
// this test box has no systemd; "unknown" must not count as a failure.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doctorCommand } from '../../../gateway/cli/doctor.js';
import { runDoctor } from '../../../gateway/installer/doctor.js';
import { float32Words, startPymodbusTcp } from '../../helpers/pymodbus.js';
import { requireBinary, startMosquitto, tempDir, type Peer } from '../../helpers/peers.js';

const dir = tempDir('doctor');
let broker: Peer;
let lockedBroker: Peer;
let slave: Peer;

function writeConfig(name: string, brokerPort: number, extraUplink = ''): string {
  const file = join(dir.path, `${name}.yaml`);
  writeFileSync(
    file,
    `version: 1
gateway: { township: t1, compound: c1, id: gw-doctor }
buses:
  - { id: sim, type: tcp, host: 127.0.0.1, port: ${slave.port}, timeout: 500ms }
sources:
  - { id: meter-1, profile: eastron/sdm120, bus: sim, unit: 1, tags: { building: "1" } }
  - { id: meter-dead, profile: eastron/sdm120, bus: sim, unit: 9, tags: { building: "1" } }
uplink: { url: "mqtt://127.0.0.1:${brokerPort}"${extraUplink} }
spool: { dir: ${join(dir.path, 'spool')}, maxBytes: 1MB }
`,
  );
  return file;
}

function capture() {
  let out = '';
  return { io: { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (out += t) } }, out: () => out };
}

beforeAll(async () => {
  slave = await startPymodbusTcp({ 1: { ir: [[0, float32Words(230)]] } });
  broker = await startMosquitto();
  const passwd = requireBinary('/usr/bin/mosquitto_passwd');
  const passwordFile = join(dir.path, 'mosquitto.passwd');
  execFileSync(passwd, ['-b', '-c', passwordFile, 'gw-doctor', 'right-password']);
  lockedBroker = await startMosquitto({ extraConfig: [`user ${userInfo().username}`, `password_file ${passwordFile}`, 'allow_anonymous false'] });
}, 30_000);

afterAll(async () => {
  await broker?.stop();
  await lockedBroker?.stop();
  await slave?.stop();
  dir.remove();
});

describe('lastmile doctor', () => {
  it('lists every check in zh-CN and fails only on the dead source while the broker runs', async () => {
    const c = capture();
    const code = await doctorCommand([writeConfig('ok', broker.port)], c.io, { ntpProbe: () => Promise.resolve('unavailable') });
    const out = c.out();
    expect(out).toMatch(/✔ 通过 +配置 /);
    expect(out).toMatch(/- 跳过 +串口/);
    expect(out).toMatch(/\? 未知 +时钟同步/);
    expect(out).toMatch(/✔ 通过 +街道综治中心 mqtt:\/\/127\.0\.0\.1/);
    expect(out).toMatch(/✔ 通过 +缓存目录 .*\n.*剩余/);
    expect(out).toMatch(/✔ 通过 +数据源 meter-1.*\n.*voltage = 230 V/);
    expect(out).toMatch(/✘ 失败 +数据源 meter-dead.*\n.*无应答/);
    expect(out).toContain('1 项失败');
    expect(code).toBe(1);
  }, 20_000);

  it('passes with exit code 0 when everything answers, in English', async () => {
    const file = writeConfig('all-good', broker.port);
    writeFileSync(file, readFileSync(file, 'utf8').replace(/ {2}- \{ id: meter-dead.*\n/, ''));
    const c = capture();
    const code = await doctorCommand([file, '--lang', 'en'], c.io, { ntpProbe: () => Promise.resolve('yes') });
    expect(c.out()).toContain('all checks passed');
    expect(c.out()).toMatch(/✔ pass +Clock synchronised/);
    expect(code).toBe(0);
  }, 20_000);

  it('explains a refused password by its CONNACK code', async () => {
    const secret = join(dir.path, 'uplink.secret');
    writeFileSync(secret, 'wrong-password\n', { mode: 0o600 });
    const results = await runDoctor(writeConfig('bad-pass', lockedBroker.port, `, passwordFile: ${secret}`), { ntpProbe: () => Promise.resolve('yes') });
    const brokerCheck = results.find((r) => r.title.en.startsWith('Township broker'))!;
    expect(brokerCheck.status).toBe('fail');
    expect(brokerCheck.detail.en).toMatch(/CONNACK [45]: (bad username or password|not authorised)/);
    expect(JSON.stringify(results)).not.toContain('wrong-password');
  }, 20_000);

  it('fails the broker check once the broker is stopped', async () => {
    await broker.stop();
    const results = await runDoctor(writeConfig('stopped', broker.port), { ntpProbe: () => Promise.resolve('yes') });
    const brokerCheck = results.find((r) => r.title.en.startsWith('Township broker'))!;
    expect(brokerCheck).toMatchObject({ status: 'fail' });
    expect(brokerCheck.detail.en).toContain('connection refused');
  }, 20_000);

  it('reports a broken config as the one failure', async () => {
    const file = join(dir.path, 'broken.yaml');
    writeFileSync(file, 'version: 1\ngateway: { township: t1, compound: c1, id: gw }\nsources: []\n');
    const results = await runDoctor(file);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ status: 'fail' });
    expect(results[0]!.detail.en).toContain('at least one source');
  });
});
