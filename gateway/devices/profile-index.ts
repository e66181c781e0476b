// Loads and checks every device profile (devices/<vendor>/<model>.yaml) once at start-up and in tests.
// Problems carry file:line and the profile path, like site-config problems.
import { stateKeyProblems } from './state-keys.js';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, parseWithSchema, sortIssues, YamlSource, type ConfigIssue } from '../../contract/load-yaml.js';
import { profile as profileSchema, type Profile } from '../../config/profile.js';
import { ruleUnitProblems } from '../rules/rule-units.js';
import { convertible } from '../shared/measure-units.js';
import { dlt645PointIssues } from './dlt645-point.js';
import { resolveProfile, wireWidth, type ResolvedPoint } from './resolve.js';

/** The built-in profiles folder (repo-root/devices). */
export const BUILTIN_PROFILES_DIR = fileURLToPath(new URL('../../devices/', import.meta.url));

export function listProfileFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) files.push(...listProfileFiles(full));
    else if (entry.endsWith('.yaml') && !entry.endsWith('.cases.yaml')) files.push(full);
  }
  return files;
}

/** Checks a schema-valid profile for what zod cannot see: references between points, widths, ids vs paths. */
export function profileIssues(source: YamlSource, profile: Profile, expectedId: string | undefined): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (expectedId !== undefined && profile.id !== expectedId) {
    issues.push(source.issue(['id'], `id "${profile.id}" must match the file path "${expectedId}"`));
  }
  const ids = new Map<string, number>();
  profile.points.forEach((point, index) => {
    if (ids.has(point.id)) issues.push(source.issue(['points', index, 'id'], `duplicate point id "${point.id}"`));
    ids.set(point.id, index);
  });
  profile.points.forEach((point, index) => {
    const at = (key: string) => ['points', index, key];
    const type = point.type ?? profile.defaults.type ?? 'u16';
    const fn = point.function ?? profile.defaults.function;
    for (const ref of [point.decimalsFrom, point.unitFrom?.point]) {
      if (ref !== undefined && !ids.has(ref)) issues.push(source.issue(at(point.decimalsFrom === ref ? 'decimalsFrom' : 'unitFrom'), `no point "${ref}" in this profile`));
    }
    if (profile.driver === 'modbus') {
      if (point.address === undefined) issues.push(source.issue(['points', index], 'a Modbus point needs a wire "address"'));
      if (fn === undefined) issues.push(source.issue(['points', index], 'a Modbus point needs a "function" (1, 2, 3 or 4) here or in defaults'));
      if ((fn === 1 || fn === 2) && type !== 'bit') issues.push(source.issue(at('type'), `function ${fn} reads single bits; use type "bit"`));
      const width = fn === undefined ? 1 : wireWidth(type, fn);
      const limit = fn === 1 || fn === 2 ? (profile.modbus?.maxBitsPerRead ?? 2000) : (profile.modbus?.maxRegistersPerRead ?? 125);
      if (point.address !== undefined && point.address + width > 0x10000) issues.push(source.issue(at('address'), 'point runs past register 0xFFFF'));
      if (width > limit) issues.push(source.issue(at('type'), `needs ${width} registers but the device reads at most ${limit}`));
    }
    if ((profile.driver === 'mqtt' || profile.driver === 'serial') && point.json === undefined) {
      issues.push(source.issue(['points', index], `a${profile.driver === 'mqtt' ? 'n MQTT' : ' serial-node'} point needs a "json" field path`));
    }
    if (profile.driver === 'gpio' && point.line === undefined) issues.push(source.issue(['points', index], 'a GPIO point needs a "line" name'));
    if (profile.driver === 'dlt645') issues.push(...dlt645PointIssues(source, profile, index));
    if (profile.driver === 'gbt26875' && point.json === undefined) issues.push(source.issue(['points', index], 'a GB/T 26875 point needs a "json" field path (system.fire, component.state, …)'));
    if (type === 'bitfield' && point.bits === undefined) issues.push(source.issue(['points', index], 'type bitfield needs "bits: {offset, width}"'));
    if (point.bits !== undefined && point.bits.offset + point.bits.width > 16) issues.push(source.issue(at('bits'), 'bits must fit in one 16-bit register'));
    for (const problem of stateKeyProblems(profile, point)) issues.push(source.issue(at('states'), problem));
  });
  for (const [name, variant] of Object.entries(profile.variants)) {
    for (const pointId of Object.keys(variant.points)) {
      if (!ids.has(pointId)) issues.push(source.issue(['variants', name, 'points'], `variant changes unknown point "${pointId}"`, pointId));
    }
  }
  issues.push(...unitIssues(source, profile));
  const ruleIds = new Set<string>();
  profile.alarms.forEach((rule, index) => {
    if (ruleIds.has(rule.id)) issues.push(source.issue(['alarms', index, 'id'], `duplicate rule id "${rule.id}"`));
    ruleIds.add(rule.id);
    if ('point' in rule && rule.point !== undefined && !ids.has(rule.point)) {
      issues.push(source.issue(['alarms', index, 'point'], `no point "${rule.point}" in this profile`));
    }
  });
  return issues;
}

/** Ranges and rule limits must be in units the point's values convert to, with and without each variant. */
function unitIssues(source: YamlSource, profile: Profile): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  const add = (path: (string | number)[], message: string) => {
    const key = `${path.join('.')}|${message}`;
    if (!seen.has(key)) issues.push(source.issue(path, message));
    seen.add(key);
  };
  for (const variant of [undefined, ...Object.keys(profile.variants)]) {
    const within = variant === undefined ? '' : ` (variant ${variant})`;
    const points = resolveProfile(profile, variant).points;
    points.forEach((point, index) => {
      for (const problem of rangeProblems(point)) add(['points', index, 'range'], `${problem}${within}`);
    });
    profile.alarms.forEach((rule, index) => {
      const point = 'point' in rule ? points.find((p) => p.id === rule.point) : undefined;
      for (const problem of ruleUnitProblems(rule, point)) add(['alarms', index, 'unit'], `${problem}${within}`);
    });
  }
  return issues;
}

/** What is wrong with a point's range: a unit its values do not convert to, or no unit for a unit-code point. */
export function rangeProblems(point: ResolvedPoint): string[] {
  const range = point.range;
  if (range === undefined) return [];
  const units = point.unitFrom !== undefined ? Object.values(point.unitFrom.map) : point.unit === undefined ? [] : [point.unit];
  if (range.unit === undefined) return point.unitFrom === undefined ? [] : ['a point whose unit comes from a unit-code register needs "unit" on its range'];
  return units.filter((unit) => !convertible(unit, range.unit!)).map((unit) => `the range is in ${range.unit}, which ${unit} does not convert to`);
}

export class ProfileIndex {
  private constructor(private readonly byId: ReadonlyMap<string, Profile>) {}

  /** Loads every profile under the folders (earlier folders win); throws ConfigError with every issue. */
  static load(dirs: readonly string[] = [BUILTIN_PROFILES_DIR]): ProfileIndex {
    const byId = new Map<string, Profile>();
    const issues: ConfigIssue[] = [];
    for (const dir of dirs) {
      for (const file of listProfileFiles(dir)) {
        const expectedId = relative(dir, file).replace(/\.yaml$/, '').split(sep).join('/');
        const parsed = parseWithSchema(file, readFileSync(file, 'utf8'), profileSchema);
        if (!parsed.ok) {
          issues.push(...parsed.issues);
          continue;
        }
        const problems = profileIssues(parsed.source, parsed.value, expectedId);
        issues.push(...problems);
        if (problems.length === 0 && !byId.has(parsed.value.id)) byId.set(parsed.value.id, parsed.value);
      }
    }
    if (issues.length > 0) throw new ConfigError(sortIssues(issues));
    return new ProfileIndex(byId);
  }

  get(id: string): Profile | undefined {
    return this.byId.get(id);
  }

  ids(): string[] {
    return [...this.byId.keys()].sort();
  }
}
