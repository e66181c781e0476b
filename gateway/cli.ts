// `lastmile` command line: validate a site config, run a gateway. Subcommands live in gateway/cli/; their
// zh-CN and en help in gateway/cli/help.ts. A user mistake is one line, never a stack trace: whatever a
// command throws is printed as one line here (LASTMILE_DEBUG=1 adds the stack, for a bug report).
import { ConfigError } from '../contract/load-yaml.js';
import { helpText, langOf, usageLine, wantsHelp } from './cli/help.js';
import { UsageError } from './installer/args.js';
import { doctorCommand } from './cli/doctor.js';
import { passwdCommand } from './cli/passwd.js';
import { probeCommand } from './cli/probe.js';
import { runCommand } from './cli/run.js';
import { scanCommand } from './cli/scan.js';
import { validateCommand } from './cli/validate.js';

type Command = (args: string[]) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  validate: validateCommand,
  run: runCommand,
  passwd: passwdCommand,
  scan: scanCommand,
  probe: probeCommand,
  doctor: doctorCommand,
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
