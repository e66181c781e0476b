// `lastmile validate <config>`: exit 0 and a one-line summary, or exit 1 and every problem,
// one line each: file:line:column path: message.
import { ConfigError } from '../../config/load-yaml.js';
import { loadSiteConfig } from '../../config/load-site.js';

export async function validateCommand(args: string[]): Promise<number> {
  const file = args.find((a) => !a.startsWith('-'));
  if (file === undefined) {
    console.error('usage: lastmile validate <config.yaml>');
    return 2;
  }
  try {
    const { config } = loadSiteConfig(file);
    console.log(
      `ok: ${file}: gateway ${config.gateway.id} (${config.gateway.township}/${config.gateway.compound}), ` +
        `${config.sources.length} sources, ${config.buses.length} buses, ${config.actuators.length} actuators`,
    );
    return 0;
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
