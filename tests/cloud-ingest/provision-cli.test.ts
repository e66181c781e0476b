// `lastmile-ingest provision` (issue 12: provisioning is township work, so it lives on the township side
// and an installed gateway has none of it): a second provision says to add --rotate and a missing flag
// names itself, each in one line with no stack trace; the first prints the gateway's uplink block.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/peers.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const dir = tempDir('provision-cli');
afterAll(() => dir.remove());

function lastmileIngest(args: readonly string[]) {
  const result = spawnSync('node', ['--import', 'tsx', 'cloud-ingest/main.ts', ...args], { cwd: repo, encoding: 'utf8', env: { ...process.env, LASTMILE_DEBUG: '' }, timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function expectOneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
  return lines[0]!;
}

describe('lastmile-ingest provision', () => {
  it('issues once, refuses a second issue without --rotate, names a missing flag', () => {
    const config = join(dir.path, 'ci.yaml');
    writeFileSync(config, `version: 1\ndataDir: ${dir.path}/data\n`);
    const args = ['provision', '--config', config, '--gateway', 'gw-7', '--township', 'town', '--compound', 'c7', '--broker-url', 'mqtts://t.example:8883'];
    const first = lastmileIngest(args);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/uplink:/);
    expect(first.stdout).toMatch(/gw-7/);
    const again = lastmileIngest(args);
    expect(again.status).toBe(1);
    expect(expectOneLine(again.stderr)).toMatch(/already provisioned.*--rotate/);
    const missingFlag = lastmileIngest(['provision', '--config', config, '--gateway', 'gw-8']);
    expect(missingFlag.status).toBe(2);
    expect(expectOneLine(missingFlag.stderr)).toMatch(/missing --township/);
    const help = lastmileIngest(['provision', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: lastmile-ingest provision/);
    expect(help.stdout).toMatch(/街道综治中心侧/);
  }, 120_000);
});
