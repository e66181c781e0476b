// Site config loading: the demo config is valid; mistakes are all reported at once, each with
// file:line:column and the config path; syntax errors name their line; the CLI exits 0/1 accordingly.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, formatIssue } from '../../contract/load-yaml.js';
import { loadSiteConfig, parseSiteConfig } from '../../config/load-site.js';
import { DEMO_CONFIG } from '../../scripts/demo/demo-compound.js';

const cases = fileURLToPath(new URL('./cases/', import.meta.url));
const repo = fileURLToPath(new URL('../../', import.meta.url));

function issuesOf(file: string, text = readFileSync(file, 'utf8')): string[] {
  try {
    parseSiteConfig(file, text);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map(formatIssue);
    throw error;
  }
  return [];
}

const base = `version: 1
gateway: { township: t1, compound: c1, id: gw-1 }
buses:
  - { id: bus-a, type: tcp, host: 127.0.0.1, port: 502 }
sources:
  - { id: m1, profile: eastron/sdm120, bus: bus-a, unit: 1, tags: { building: "1" } }
`;

describe('site config', () => {
  it('accepts the demo compound and freezes it', () => {
    const { config } = loadSiteConfig(DEMO_CONFIG);
    expect(config.sources.length).toBeGreaterThanOrEqual(7);
    expect(Object.isFrozen(config.sources[0])).toBe(true);
  });

  it('reports all five deliberate mistakes with file:line:column and path', () => {
    const expected = readFileSync(`${cases}five-mistakes/expected.err`, 'utf8').trim().split('\n');
    expect(issuesOf('five-mistakes/config.yaml', readFileSync(`${cases}five-mistakes/config.yaml`, 'utf8'))).toEqual(expected);
  });

  it('names the line of a YAML syntax error', () => {
    const issues = issuesOf('syntax-error/config.yaml', readFileSync(`${cases}syntax-error/config.yaml`, 'utf8'));
    expect(issues.length).toBeGreaterThan(0);
    expect(issues[0]).toMatch(/^syntax-error\/config\.yaml:4:\d+ /);
  });

  it('rejects duplicate keys, duplicate ids and a unit id used twice on a bus', () => {
    const text = base + `  - { id: m1, profile: eastron/sdm120, bus: bus-a, unit: 1, tags: { building: "1" } }\n`;
    const issues = issuesOf('dup.yaml', text);
    expect(issues).toContain('dup.yaml:7:11 sources[1].id: duplicate id "m1"');
    expect(issues).toContain('dup.yaml:7:58 sources[1].unit: unit 1 on bus "bus-a" is already used by source "m1"');
    expect(issuesOf('dupkey.yaml', base.replace('version: 1', 'version: 1\nversion: 1'))[0]).toMatch(/^dupkey\.yaml:2:1 .*[Mm]ap keys must be unique/);
  });

  it('gives each GPIO line one user: actuator against actuator, and a source against an actuator', () => {
    const text =
      base +
      `  - { id: door-1, profile: generic/gpio-door-contact, gpio: { lines: { contact: 17 } }, tags: { building: "1" } }
actuators:
  - { id: siren-1, type: gpio, role: siren, line: 17 }
  - { id: strobe-1, type: gpio, role: strobe, line: 17 }
`;
    const issues = issuesOf('gpio.yaml', text).map((issue) => issue.replace(/^gpio\.yaml:\d+:\d+ /, ''));
    expect([...issues].sort()).toEqual([
      'actuators[1].line: GPIO line 17 is already used by actuator siren-1',
      'sources[1].gpio.lines.contact: GPIO line 17 is already used by actuator strobe-1',
    ]);
  });

  it('checks variants, rule overrides and driver/bus agreement against the profile', () => {
    const text = base.replace(
      'tags: { building: "1" } }',
      'variant: fc07, rules: { overvoltag: { above: 260 } }, tags: { building: "1" } }',
    ) + '  - { id: door-1, profile: generic/gpio-door-contact, tags: { building: "1" } }\n';
    const issues = issuesOf('refs.yaml', text).join('\n');
    expect(issues).toMatch(/sources\[0\]\.variant: profile eastron\/sdm120 has no variant "fc07"/);
    expect(issues).toMatch(/sources\[0\]\.rules\.overvoltag: profile eastron\/sdm120 has no rule "overvoltag"; its rules: overvoltage, undervoltage/);
    expect(issues).toMatch(/refs\.yaml:7:\d+ sources\[1\]\.profile: profile generic\/gpio-door-contact needs GPIO line "contact"/);
  });

  it('re-checks a rule override against its rule kind at load time', () => {
    const issues = issuesOf('rule.yaml', base.replace('unit: 1,', 'unit: 1, rules: { overvoltage: { after: 5m } },'));
    expect(issues).toEqual(['rule.yaml:6:61 sources[0].rules: sources.m1.rules.overvoltage: Unrecognized key: "after"']);
  });

  it('rejects a duration or size it cannot read', () => {
    const issues = issuesOf('dur.yaml', base.replace('unit: 1,', 'unit: 1, poll: 5 seconds,'));
    expect(issues).toEqual(['dur.yaml:6:67 sources[0].poll: expected a duration such as "500ms", "5s", "10m", "2h" or "7d"']);
  });

  it('lastmile validate exits 0 on a good config and 1 with every problem on a bad one', () => {
    // The sources through tsx (bin/lastmile.js runs dist/, which a checkout may not have built, or built stale).
    // --config-only: the demo's password files and GPIO lines exist only while the demo runs.
    const ok = execFileSync('node', ['--import', 'tsx', 'gateway/cli.ts', 'validate', DEMO_CONFIG, '--config-only'], { cwd: repo, encoding: 'utf8' });
    expect(ok).toMatch(/^ok: .*gw-hongqi-01/);
    const bad = spawnSync('node', ['--import', 'tsx', 'gateway/cli.ts', 'validate', `${cases}five-mistakes/config.yaml`], { cwd: repo, encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr.split('\n').filter((l) => /config\.yaml:\d+:\d+ /.test(l))).toHaveLength(5);
    expect(bad.stderr).toContain('发现 5 个问题');
  });
});
