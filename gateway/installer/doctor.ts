// `lastmile doctor`: runs every check against one site config and renders a pass/fail list in zh-CN
// (default) or en. The config itself is the first check: with a broken config nothing else is meaningful.
import { ConfigError } from '../../contract/load-yaml.js';
import { loadSiteConfig, type LoadedSite } from '../../config/load-site.js';
import { timedatectlProbe, type NtpProbe } from '../time/time-sync.js';
import { checkBroker } from './doctor-broker.js';
import { checkClock, checkSerialPorts, checkSpool, text, type CheckResult, type CheckStatus } from './doctor-checks.js';
import { checkGbt26875Sources } from './doctor-gbt26875.js';
import { checkSources } from './doctor-sources.js';
import { hostRequirements } from './requirements.js';

export interface DoctorOptions {
  readonly ntpProbe?: NtpProbe;
  readonly brokerTimeoutMs?: number;
  /** How long to wait for a GB/T 26875 transmission device to connect (default 10 s). */
  readonly gbt26875WaitMs?: number;
}

export async function runDoctor(file: string, options: DoctorOptions = {}): Promise<CheckResult[]> {
  let loaded: LoadedSite;
  try {
    loaded = loadSiteConfig(file);
  } catch (error) {
    if (!(error instanceof ConfigError) && (error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const detail = error instanceof ConfigError ? error.message : `${file}: no such file / 文件不存在`;
    return [{ status: 'fail', title: text(`配置 ${file}`, `Config ${file}`), detail: text(detail, detail) }];
  }
  const { config } = loaded;
  const results: CheckResult[] = [
    { status: 'pass', title: text(`配置 ${file}`, `Config ${file}`), detail: text(`有效：网关 ${config.gateway.id}，${config.sources.length} 个数据源`, `valid: gateway ${config.gateway.id}, ${config.sources.length} sources`) },
  ];
  for (const requirement of hostRequirements(loaded)) {
    results.push({ status: requirement.ok ? 'pass' : 'fail', title: text(`配置要求 ${requirement.path}`, `Requirement ${requirement.path}`), detail: requirement.detail });
  }
  results.push(...(await checkSerialPorts(config)));
  results.push(await checkClock(options.ntpProbe ?? timedatectlProbe));
  results.push(await checkBroker(config, options.brokerTimeoutMs));
  results.push(await checkSpool(config, config.spool.maxBytes));
  results.push(...(await checkSources(loaded)));
  results.push(...(await checkGbt26875Sources(loaded, { waitMs: options.gbt26875WaitMs })));
  return results;
}

const MARK: Record<CheckStatus, { zh: string; en: string }> = {
  pass: { zh: '✔ 通过', en: '✔ pass' },
  fail: { zh: '✘ 失败', en: '✘ FAIL' },
  unknown: { zh: '? 未知', en: '? unknown' },
  skip: { zh: '- 跳过', en: '- skip' },
};

export function formatDoctor(results: readonly CheckResult[], lang: 'zh' | 'en'): string {
  const lines = results.map((r) => `${MARK[r.status][lang].padEnd(lang === 'zh' ? 6 : 10)} ${r.title[lang]}\n${' '.repeat(lang === 'zh' ? 7 : 11)}${r.detail[lang].replace(/\n/g, '\n       ')}`);
  const failed = results.filter((r) => r.status === 'fail').length;
  lines.push(
    failed === 0
      ? lang === 'zh' ? '全部检查通过（未知/跳过项请人工确认）' : 'all checks passed (confirm unknown/skipped items by hand)'
      : lang === 'zh' ? `${failed} 项失败` : `${failed} check(s) failed`,
  );
  return `${lines.join('\n')}\n`;
}
