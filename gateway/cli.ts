// `lastmile` command line: validate a site config, run a gateway. Subcommands live in gateway/cli/; their
// zh-CN and en help in gateway/cli/help.ts. A user mistake is one line, never a stack trace: whatever a
// command throws is printed as one line here (LASTMILE_DEBUG=1 adds the stack, for a bug report).
import { ConfigError } from '../contract/load-yaml.js';
import { helpText, langOf, usageLine, wantsHelp } from './cli/help.js';
import { UsageError } from './installer/args.js';

type Command = (args: string[]) => Promise<number>;

// Each command's module is loaded only when it runs: `run` (the systemd service) then never loads the
// installer tools (probe, scan, doctor and their serial, DL/T 645 and broker checks), which cost start-up
// time and resident memory for the gateway's whole life (issue 12, docs/benchmarks.md).
const COMMANDS: Record<string, Command> = {
  validate: async (args) => (await import('./cli/validate.js')).validateCommand(args),
  run: async (args) => (await import('./cli/run.js')).runCommand(args),
  passwd: async (args) => (await import('./cli/passwd.js')).passwdCommand(args),
  scan: async (args) => (await import('./cli/scan.js')).scanCommand(args),
  probe: async (args) => (await import('./cli/probe.js')).probeCommand(args),
  doctor: async (args) => (await import('./cli/doctor.js')).doctorCommand(args),
};

async function main(argv: string[]): Promise<number> {
  const lang = langOf(argv);
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const text = helpText(rest.find((a) => !a.startsWith('-')), lang);
    if (text === undefined) return unknownCommand(rest[0]!, lang);
    console.log(text);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) return unknownCommand(name, lang);
  if (wantsHelp(rest)) {
    console.log(helpText(name, lang));
    return 0;
  }
  try {
    // doctor takes --lang itself; the others only read it here.
    return await command(name === 'doctor' ? rest : withoutLang(rest));
  } catch (error) {
    return oneLine(name, error, lang);
  }
}

function unknownCommand(name: string, lang: 'zh' | 'en'): number {
  console.error(lang === 'zh' ? `没有 "${name}" 这个命令（lastmile help 列出全部命令）` : `unknown command "${name}" (lastmile help lists them)`);
  return 2;
}

function withoutLang(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--lang') i++;
    else if (!args[i]!.startsWith('--lang=')) out.push(args[i]!);
  }
  return out;
}

/** Anything a command threw, as one line naming what to fix (the first line of its message). */
function oneLine(command: string, error: unknown, lang: 'zh' | 'en'): number {
  if (process.env.LASTMILE_DEBUG === '1') console.error(error);
  if (error instanceof ConfigError) {
    console.error(error.message);
    return 1;
  }
  const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
  if (error instanceof UsageError) {
    process.stderr.write(usageLine(command, message, lang));
    return 2;
  }
  const errno = (error as NodeJS.ErrnoException).code;
  console.error(`lastmile ${command}: ${message}${errno ? '' : lang === 'zh' ? '（LASTMILE_DEBUG=1 显示详情）' : ' (LASTMILE_DEBUG=1 for details)'}`);
  return 1;
}

process.exitCode = await main(process.argv.slice(2));
