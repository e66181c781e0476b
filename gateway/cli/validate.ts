// `lastmile validate <config> [--config-only]`: exit 0 and a one-line summary, or exit 1 and every
// problem, one line each: file:line:column path: message. Then what this machine must have for the config
// (console.passwordFile, GPIO lines), one line per missing requirement; --config-only skips that part, to
// check a config on a laptop before it goes to the gateway.
import { usageLine } from './help.js';
import { ConfigError } from '../../contract/load-yaml.js';
import { loadSiteConfig } from '../../config/load-site.js';
import { hostRequirements, requirementLines } from '../installer/requirements.js';

export async function validateCommand(args: string[]): Promise<number> {
  const file = args.find((a) => !a.startsWith('-'));
  if (file === undefined) {
    process.stderr.write(usageLine('validate', 'give the site config file / 请给出站点配置文件'));
    return 2;
  }
  try {
    const loaded = loadSiteConfig(file);
    const { config } = loaded;
    console.log(
      `ok: ${file}: gateway ${config.gateway.id} (${config.gateway.township}/${config.gateway.compound}), ` +
        `${config.sources.length} sources, ${config.buses.length} buses, ${config.actuators.length} actuators`,
    );
    if (args.includes('--config-only')) return 0;
    const missing = requirementLines(file, hostRequirements(loaded));
    for (const line of missing) console.error(line);
    if (missing.length === 0) return 0;
    console.error(`this machine lacks ${missing.length} requirement(s) of the config / 本机缺少 ${missing.length} 项配置所需条件（只检查配置请加 --config-only）`);
    return 1;
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      console.error(`${error.issues.length} problem(s) found / 发现 ${error.issues.length} 个问题`);
      return 1;
    }
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      console.error(`${file}: no such file / 文件不存在`);
      return 1;
    }
    throw error;
  }
}
