// `lastmile` as an installer meets it (issue 20): help for every command in zh-CN and en (--lang, or
// LANG), `--help` after any command (scan/probe/doctor used to answer "--help needs a value"), and each
// user mistake the issue lists is one line naming what to fix, never a stack trace.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { COMMAND_NAMES, helpText, langOf } from '../../../gateway/cli/help.js';
import { tempDir } from '../../helpers/peers.js';

const repo = fileURLToPath(new URL('../../..', import.meta.url));
const dir = tempDir('cli');
afterAll(() => dir.remove());

function lastmile(args: readonly string[], env: Record<string, string> = {}) {
  const result = spawnSync('node', ['--import', 'tsx', 'gateway/cli.ts', ...args], { cwd: repo, encoding: 'utf8', env: { ...process.env, LANG: 'C.UTF-8', LC_ALL: '', LC_MESSAGES: '', LASTMILE_DEBUG: '', ...env }, timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** One line on stderr, with no stack frame in it. */
function expectOneLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  expect(lines, stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/^\s+at /m);
  return lines[0]!;
}

describe('lastmile help', () => {
  it('every command has help in zh-CN and en, and they differ', () => {
    expect(COMMAND_NAMES).toEqual(expect.arrayContaining(['validate', 'run', 'passwd', 'scan', 'probe', 'doctor']));
    for (const command of COMMAND_NAMES) {
      const zh = helpText(command, 'zh')!;
      const en = helpText(command, 'en')!;
      expect(zh).toMatch(new RegExp(`^用法: lastmile ${command}`));
      expect(zh).toMatch(/[\u4e00-\u9fff]{4}/);
      expect(en).toMatch(new RegExp(`^usage: lastmile ${command}`));
      expect(en).not.toMatch(/[\u4e00-\u9fff]/);
    }
    // One name for the township centre everywhere (the consoles say 街道综治中心).
    expect(COMMAND_NAMES.map((c) => helpText(c, 'zh')).join('\n')).not.toContain('乡镇平台');
  });

  it('picks the language from --lang, then LC_ALL / LC_MESSAGES / LANG; a C locale is zh', () => {
    expect(langOf(['--lang', 'en'], { LANG: 'zh_CN.UTF-8' })).toBe('en');
    expect(langOf(['--lang=zh'], { LANG: 'en_US.UTF-8' })).toBe('zh');
    expect(langOf([], { LANG: 'en_GB.UTF-8' })).toBe('en');
    expect(langOf([], { LC_ALL: 'zh_CN.UTF-8', LANG: 'en_US.UTF-8' })).toBe('zh');
    expect(langOf([], { LANG: 'C.UTF-8' })).toBe('zh');
    expect(langOf([], {})).toBe('zh');
  });

  it('scan, probe and doctor --help print their help (not "--help needs a value"), in the asked language', () => {
    for (const command of ['scan', 'probe', 'doctor']) {
      const en = lastmile([command, '--help', '--lang', 'en']);
      expect(en.status).toBe(0);
      expect(en.stdout).toMatch(new RegExp(`^usage: lastmile ${command}`));
      expect(en.stderr).toBe('');
    }
    const zh = lastmile(['doctor', '--help'], { LANG: 'zh_CN.UTF-8' });
    expect(zh.stdout).toMatch(/^用法: lastmile doctor/);
    expect(lastmile(['help'], { LANG: 'en_US.UTF-8' }).stdout).toMatch(/^usage: lastmile <command>/);
  }, 120_000);
});

describe('lastmile user mistakes: one line each, no stack trace', () => {
  it('a flag without its value, a missing config file argument, a file that is not there, a bad --for, an unknown command', () => {
    const noValue = lastmile(['scan', '--port', '--lang', 'en']);
    expect(noValue.status).toBe(2);
    expect(expectOneLine(noValue.stderr)).toMatch(/^lastmile scan: .*(needs a value|--port).*see lastmile scan --help/);

    const noFile = lastmile(['validate']);
    expect(noFile.status).toBe(2);
    expect(expectOneLine(noFile.stderr)).toMatch(/lastmile validate: .*请给出站点配置文件.*lastmile validate --help/);

    const missing = lastmile(['validate', join(dir.path, 'nope.yaml')]);
    expect(missing.status).toBe(1);
    expect(expectOneLine(missing.stderr)).toMatch(/nope\.yaml: no such file \/ 文件不存在/);

    const badFor = lastmile(['run', 'x.yaml', '--for', 'soon']);
    expect(badFor.status).toBe(2);
    expect(expectOneLine(badFor.stderr)).toMatch(/--for soon: expected a duration/);

    const unknown = lastmile(['sacn']);
    expect(unknown.status).toBe(2);
    expect(expectOneLine(unknown.stderr)).toMatch(/没有 "sacn" 这个命令/);
  }, 180_000);

  it('a YAML slip is one problem at its own line, with zh-CN and en', () => {
    const file = join(dir.path, 'slip.yaml');
    writeFileSync(file, 'version: 1\ngateway:\n  township: t\n  compound: c\n  id: gw\n  name: { zh: 网关, en: gw\nsources: []\n');
    const result = lastmile(['validate', file, '--config-only']);
    expect(result.status).toBe(1);
    const problems = result.stderr.split('\n').filter((l) => /slip\.yaml:\d+:\d+/.test(l));
    expect(problems, result.stderr).toHaveLength(1);
    expect(problems[0]).toMatch(/slip\.yaml:6:9 \(top level\): \{ 没有用 \} 闭合 \/ "\{" is not closed with "\}"/);
  }, 60_000);
});
