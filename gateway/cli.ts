// `lastmile` command line: validate a site config, run a gateway. Subcommands live in gateway/cli/.
import { doctorCommand } from './cli/doctor.js';
import { passwdCommand } from './cli/passwd.js';
import { probeCommand } from './cli/probe.js';
import { provisionCommand } from './cli/provision.js';
import { runCommand } from './cli/run.js';
import { scanCommand } from './cli/scan.js';
import { validateCommand } from './cli/validate.js';

const USAGE = `lastmile <command> [options]

  validate <config.yaml>                   check a site config and every device profile; prints all problems
  run <config.yaml> [--for 5s]             run the gateway (--for: stop after that long)
  passwd [--out file]                      read a password on stdin, print its scrypt hash (for passwordFile)
  scan --port <tty>|--host <ip>            find Modbus unit ids across bauds and parities
  probe ... --unit N --fc 3|4 --address A  decode a register range every way, next to the profile
  scan --protocol dlt645 --port <tty>      find DL/T 645 meter addresses (wildcard, or --meters to check)
  probe --protocol dlt645 --meter M --di D read one DL/T 645 data item and print it decoded
  doctor <config.yaml> [--lang zh|en]      pass/fail checks: ports, clock, broker, spool, sources
  provision --config <cloud-ingest.yaml> --gateway <id> --township <id> --compound <id> --broker-url <url>
                                           (township side) issue a gateway identity; prints its uplink block
  help                                     this text

用法 (zh-CN): lastmile validate 站点配置.yaml 检查配置; lastmile run 站点配置.yaml 运行网关`;

type Command = (args: string[]) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  validate: validateCommand,
  run: runCommand,
  passwd: passwdCommand,
  scan: scanCommand,
  probe: probeCommand,
  doctor: doctorCommand,
  provision: provisionCommand,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help') {
    console.log(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  return command(rest);
}

process.exitCode = await main(process.argv.slice(2));
