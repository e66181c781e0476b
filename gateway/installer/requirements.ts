// What this machine must have for a valid site config to run: the files the config names (console and
// local-broker password hashes, the uplink password and TLS files) and the GPIO lines it drives. validate, doctor and run all ask here, so `run` can refuse with one line naming the
// config path instead of dying half-started with a stack trace (issue 14).
import { constants, accessSync, statSync } from 'node:fs';
import type { LoadedSite } from '../../config/load-site.js';
import { keyFileProblem, type ListenerTls } from '../../contract/listener-tls.js';
import { findMainGpioChip, globalGpioNumber } from '../drivers/gpio/chip-base.js';
import type { LocalText } from '../pipeline/types.js';

export interface Requirement {
  /** Config path, e.g. console.passwordFile, actuators[2].line, sources[4].gpio.lines.contact. */
  readonly path: string;
  readonly ok: boolean;
  /** What was found, or what is wrong and what to do. */
  readonly detail: LocalText;
}

function fileRequirement(path: string, file: string, makeWith: string): Requirement {
  try {
    if (!statSync(file).isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
    accessSync(file, constants.R_OK);
    return { path, ok: true, detail: { zh: `${file} 存在且可读`, en: `${file} exists and is readable` } };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      return { path, ok: false, detail: { zh: `文件 ${file} 不存在：用 ${makeWith} 生成`, en: `file ${file} does not exist: make it with ${makeWith}` } };
    }
    return { path, ok: false, detail: { zh: `文件 ${file} 无法读取（${code ?? 'error'}）：检查属主和权限`, en: `file ${file} cannot be read (${code ?? 'error'}): check its owner and mode` } };
  }
}

/** A listener's certificate files (readable), and its key readable by nobody else (mode 0600). */
function tlsRequirements(path: string, tls: ListenerTls | undefined): Requirement[] {
  if (tls === undefined) return [];
  const made = 'openssl (docs/security.md)';
  const out = [fileRequirement(`${path}.certFile`, tls.certFile, made), fileRequirement(`${path}.keyFile`, tls.keyFile, made)];
  if (tls.caFile !== undefined) out.push(fileRequirement(`${path}.caFile`, tls.caFile, made));
  if (out[1]!.ok) {
    const problem = keyFileProblem(tls.keyFile);
    if (problem) out[1] = { path: `${path}.keyFile`, ok: false, detail: { zh: `私钥 ${problem.replace('is readable by others', '其他用户可读')}`, en: `private key ${problem}` } };
  }
  return out;
}

/** Every GPIO line the config drives or watches, with its config path. */
function gpioLines(loaded: LoadedSite): { path: string; line: number }[] {
  const lines: { path: string; line: number }[] = [];
  loaded.config.actuators.forEach((actuator, index) => {
    if (actuator.type === 'gpio') lines.push({ path: `actuators[${index}].line`, line: actuator.line });
  });
  loaded.config.sources.forEach((source, index) => {
    if (!source.enabled || loaded.profiles.get(source.profile)?.driver !== 'gpio') return;
    for (const [name, line] of Object.entries(source.gpio?.lines ?? {})) lines.push({ path: `sources[${index}].gpio.lines.${name}`, line });
  });
  return lines;
}

function gpioRequirements(loaded: LoadedSite): Requirement[] {
  const lines = gpioLines(loaded);
  if (lines.length === 0) return [];
  const options = loaded.config.drivers.gpio;
  if (options.port === 'memory') {
    return [{ path: lines[0]!.path, ok: true, detail: { zh: 'GPIO 使用内存端口（演示/测试）', en: 'GPIO uses the in-memory port (demo/tests)' } }];
  }
  let chip;
  try {
    chip = findMainGpioChip(options.sysfsRoot, options.chipLabel);
  } catch (error) {
    const why = (error as Error).message;
    return [{ path: lines[0]!.path, ok: false, detail: { zh: `本机没有可用的 GPIO（${why}）：在树莓派上运行，或去掉 GPIO 执行器/数据源`, en: `no GPIO on this machine (${why}): run on the Raspberry Pi, or remove the GPIO actuators/sources` } }];
  }
  return lines.map(({ path, line }): Requirement => {
    try {
      globalGpioNumber(chip, line);
      return { path, ok: true, detail: { zh: `GPIO ${line} 在 ${chip.name}（${chip.label}）上`, en: `GPIO ${line} on ${chip.name} (${chip.label})` } };
    } catch (error) {
      return { path, ok: false, detail: { zh: `GPIO ${line} 不存在：${(error as Error).message}`, en: `GPIO ${line} does not exist: ${(error as Error).message}` } };
    }
  });
}

/** The host requirements of a loaded (valid) site config, passing and failing, in config order. */
export function hostRequirements(loaded: LoadedSite): Requirement[] {
  const requirements: Requirement[] = [];
  const consoleSettings = loaded.config.console;
  if (consoleSettings !== undefined && consoleSettings.enabled && consoleSettings.passwordFile !== undefined) {
    requirements.push(fileRequirement('console.passwordFile', consoleSettings.passwordFile, '`lastmile passwd --out <file>`'));
  }
  if (consoleSettings?.enabled) requirements.push(...tlsRequirements('console.tls', consoleSettings.tls));
  const uplink = loaded.config.uplink;
  if (uplink?.passwordFile !== undefined) requirements.push(fileRequirement('uplink.passwordFile', uplink.passwordFile, '`lastmile-ingest provision` (township side)'));
  for (const key of ['ca', 'cert', 'key'] as const) {
    const file = uplink?.[key];
    if (file !== undefined) requirements.push(fileRequirement(`uplink.${key}`, file, 'the PEM file the township issued'));
  }
  const broker = loaded.config.localBroker;
  if (broker !== undefined && broker.enabled) {
    requirements.push(...tlsRequirements('localBroker.tls', broker.tls));
    broker.users.forEach((user, index) => requirements.push(fileRequirement(`localBroker.users[${index}].passwordFile`, user.passwordFile, '`lastmile passwd --out <file>`')));
    if (broker.external?.passwordFile !== undefined) requirements.push(fileRequirement('localBroker.external.passwordFile', broker.external.passwordFile, "the external broker's account"));
    if (broker.external?.caFile !== undefined) requirements.push(fileRequirement('localBroker.external.caFile', broker.external.caFile, "the external broker's CA certificate"));
  }
  requirements.push(...gpioRequirements(loaded));
  return requirements;
}

/** One line per failed requirement: `<file>: <config path>: zh / en`. */
export function requirementLines(file: string, requirements: readonly Requirement[]): string[] {
  return requirements.filter((r) => !r.ok).map((r) => `${file}: ${r.path}: ${r.detail.zh} / ${r.detail.en}`);
}
