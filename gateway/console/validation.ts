// The console's config check: the file the gateway runs from (LASTMILE_CONFIG, set by the systemd unit)
// is validated again whenever it changes on disk, so an installer editing it sees every problem before
// restarting. Without a file, the running config is reported as valid (the gateway started with it).
import { statSync } from 'node:fs';
import { ConfigError } from '../../contract/load-yaml.js';
import { loadSiteConfig } from '../../config/load-site.js';
import type { SiteConfig } from '../../config/site.js';
import type { ValidationStatus } from './providers.js';

function summary(config: SiteConfig): string {
  return `${config.sources.length} 个数据源 sources, ${config.buses.length} 条总线 buses, ${config.actuators.length} 个执行器 actuators`;
}

export function configValidation(running: SiteConfig, file: string | undefined): () => ValidationStatus {
  if (file === undefined) {
    return () => ({ ok: true, file: undefined, summary: `运行中的配置有效 running config is valid: ${summary(running)}`, issues: [] });
  }
  let cached: { mtimeMs: number; status: ValidationStatus } | undefined;
  return () => {
    let mtimeMs: number;
    try {
      mtimeMs = statSync(file).mtimeMs;
    } catch (error) {
      return { ok: false, file, summary: `${file}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`, issues: [] };
    }
    if (cached?.mtimeMs === mtimeMs) return cached.status;
    let status: ValidationStatus;
    try {
      status = { ok: true, file, summary: `${file}: ${summary(loadSiteConfig(file).config)}`, issues: [] };
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      status = { ok: false, file, summary: `${file}: ${error.issues.length} 个问题 problem(s)`, issues: error.message.split('\n') };
    }
    cached = { mtimeMs, status };
    return status;
  };
}
