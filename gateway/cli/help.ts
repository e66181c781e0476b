// Help for every `lastmile` command in zh-CN and en (issue 20): `lastmile <command> --help`, or
// `lastmile help <command>`, in the language of `--lang zh|en`, else of LC_ALL / LC_MESSAGES / LANG
// (zh* → zh, any other language → en; unset, C and POSIX → zh, the installers' language). A user mistake
// is one line naming what to fix and where to read more; never a stack trace (cli.ts).

export type Lang = 'zh' | 'en';

/** --lang wins; then the locale; a missing or neutral locale is zh. */
export function langOf(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Lang {
  const index = args.findIndex((arg) => arg === '--lang' || arg.startsWith('--lang='));
  const given = index === -1 ? undefined : args[index]!.includes('=') ? args[index]!.slice('--lang='.length) : args[index + 1];
  if (given === 'en' || given === 'zh') return given;
  const locale = env.LC_ALL || env.LC_MESSAGES || env.LANG || '';
  if (locale === '' || locale === 'C' || locale === 'POSIX' || /^C\./.test(locale) || /^zh/i.test(locale)) return 'zh';
  return 'en';
}

/** Whether the arguments ask for help (anywhere: `scan --port x --help` too). */
export function wantsHelp(args: readonly string[]): boolean {
  return args.includes('--help') || args.includes('-h');
}

const OVERVIEW: Record<Lang, string> = {
  zh: `用法: lastmile <命令> [选项]      （各命令加 --help 查看详细说明；--lang en 显示英文）

  validate <站点配置.yaml>                检查站点配置和所有设备档案，列出全部问题
  run <站点配置.yaml> [--for 5s]          运行网关（--for：运行这么久后停止）
  passwd [--out 文件]                     从标准输入读密码，输出 scrypt 哈希（用于 passwordFile）
  scan --port <串口>|--host <IP>          在各波特率和校验位下查找 Modbus 从站地址
  probe ... --unit N --fc 3|4 --address A 按所有字节序解码一段寄存器，并与设备档案对照
  scan --protocol dlt645 --port <串口>    查找 DL/T 645 电表表号
  probe --protocol dlt645 --meter M --di D 读取一个 DL/T 645 数据项并解码
  doctor <站点配置.yaml>                  现场体检：串口、时钟、街道综治中心连接、缓存空间、数据源
  （为网关签发身份和密码在街道综治中心侧：lastmile-ingest provision --help）
  help [命令]                             显示本说明`,
  en: `usage: lastmile <command> [options]      (--help after any command for details; --lang zh for Chinese)

  validate <config.yaml>                   check a site config and every device profile; prints all problems
  run <config.yaml> [--for 5s]             run the gateway (--for: stop after that long)
  passwd [--out file]                      read a password on stdin, print its scrypt hash (for passwordFile)
  scan --port <tty>|--host <ip>            find Modbus unit ids across bauds and parities
  probe ... --unit N --fc 3|4 --address A  decode a register range every way, next to the profile
  scan --protocol dlt645 --port <tty>      find DL/T 645 meter addresses (wildcard, or --meters to check)
  probe --protocol dlt645 --meter M --di D read one DL/T 645 data item and print it decoded
  doctor <config.yaml>                     pass/fail checks: ports, clock, township centre, spool, sources
  (a gateway's identity and password are issued on the township side: lastmile-ingest provision --help)
  help [command]                           this text`,
};

const COMMAND_HELP: Record<string, Record<Lang, string>> = {
  validate: {
    zh: `用法: lastmile validate <站点配置.yaml> [--config-only]
  检查站点配置和它用到的设备档案。没问题时输出一行摘要（退出码 0）；有问题时每个问题一行：
  文件:行:列 配置路径: 说明（退出码 1）。随后检查本机是否具备配置所需的文件和 GPIO 线路。
  --config-only   只检查配置本身（在笔记本上检查，再拷到网关）`,
    en: `usage: lastmile validate <config.yaml> [--config-only]
  Checks a site config and the device profiles it uses. Prints one summary line (exit 0), or one line per
  problem: file:line:column config.path: message (exit 1). Then checks that this machine has the files and
  GPIO lines the config names.
  --config-only   check the config only (on a laptop, before it goes to the gateway)`,
  },
  run: {
    zh: `用法: lastmile run <站点配置.yaml> [--for <时长>]
  运行网关：读取数据源、判定报警、驱动声光报警器、上传到街道综治中心。
  --for 5s|10m    运行这么久后正常停止（调试用）
  日志级别：配置中 log.level，或环境变量 LASTMILE_LOG_LEVEL（优先）`,
    en: `usage: lastmile run <config.yaml> [--for <duration>]
  Runs the gateway: reads the sources, raises alarms, drives sirens, sends to the township centre.
  --for 5s|10m    stop cleanly after that long (for testing)
  Log level: log.level in the config, or LASTMILE_LOG_LEVEL (wins)`,
  },
  passwd: {
    zh: `用法: lastmile passwd [--out <文件>]
  从标准输入（或终端，不回显）读入密码，输出 scrypt 哈希，用于 localBroker.users[].passwordFile、
  console.passwordFile。--out 直接写入文件（权限 0600）。
  例: echo -n '密码' | lastmile passwd --out /etc/lastmile/mqtt/node-1.hash`,
    en: `usage: lastmile passwd [--out <file>]
  Reads a password on stdin (or at the terminal, without echo) and prints its scrypt hash, for
  localBroker.users[].passwordFile and console.passwordFile. --out writes the file (mode 0600).
  e.g. echo -n 'secret' | lastmile passwd --out /etc/lastmile/mqtt/node-1.hash`,
  },
  scan: {
    zh: `用法: lastmile scan [--protocol modbus] --port <串口> [--bauds 2400,4800,9600,19200] [--parities none,even,odd] [--units 1-247] [--timeout 200ms]
      lastmile scan --host <IP> [--tcp-port 502] [--units 1-247] [--timeout 200ms]   （Modbus TCP / 串口服务器）
      lastmile scan --protocol dlt645 --port <串口> [--meters …]                     （DL/T 645 电表）
  扫描 RS-485 总线上的 Modbus 设备：逐个波特率和校验位尝试每个从站地址，先估算最长耗时。`,
    en: `usage: lastmile scan [--protocol modbus] --port <tty> [--bauds 2400,4800,9600,19200] [--parities none,even,odd] [--units 1-247] [--timeout 200ms]
       lastmile scan --host <ip> [--tcp-port 502] [--units 1-247] [--timeout 200ms]   (Modbus TCP / RS-485-to-Ethernet converter)
       lastmile scan --protocol dlt645 --port <tty> [--meters …]                      (DL/T 645 meters)
  Finds Modbus devices on an RS-485 line: every unit id at every baud rate and parity; prints the worst-case time first.`,
  },
  probe: {
    zh: `用法: lastmile probe (--port <串口> [--baud 9600] [--parity none] | --host <IP> [--tcp-port 502])
                    --unit N --fc 3|4 --address A --count C [--profile 厂商/型号 [--variant v]] [--expect 230] [--timeout 500ms]
      lastmile probe --protocol dlt645 --port <串口> --meter 000012345678 --di 02010100   （DL/T 645 电表）
  读取一段寄存器，按所有字节序/字序和两种地址基准解码，并与设备档案对照。
  --address 可写线上地址（0x0000）或手册编号（30001/40001 式，自动换算）。`,
    en: `usage: lastmile probe (--port <tty> [--baud 9600] [--parity none] | --host <ip> [--tcp-port 502])
                     --unit N --fc 3|4 --address A --count C [--profile vendor/model [--variant v]] [--expect 230] [--timeout 500ms]
       lastmile probe --protocol dlt645 --port <tty> --meter 000012345678 --di 02010100   (DL/T 645 meters)
  Reads a register range and decodes it every way (byte/word order, both address bases), next to the profile.
  --address takes the wire address (0x0000) or a manual number (30001/40001 style, converted).`,
  },
  doctor: {
    zh: `用法: lastmile doctor <站点配置.yaml> [--lang zh|en]
  现场体检：串口、时钟同步、街道综治中心连接、缓存空间、每个数据源是否应答。每项一行 通过/失败；
  有失败项时退出码 1。`,
    en: `usage: lastmile doctor <config.yaml> [--lang zh|en]
  On-site checks: serial ports, clock sync, the township centre's broker, spool room, whether every source
  answers. One pass/fail line each; exit 1 when anything failed.`,
  },
};

/** The overview, or one command's help; undefined for a command that does not exist. */
export function helpText(command: string | undefined, lang: Lang): string | undefined {
  if (command === undefined || command === 'help') return OVERVIEW[lang];
  return COMMAND_HELP[command]?.[lang];
}

export const COMMAND_NAMES: readonly string[] = Object.keys(COMMAND_HELP);

/** One line for a user mistake: what is wrong, and where the usage is. */
export function usageLine(command: string, message: string, lang: Lang = langOf(process.argv)): string {
  return lang === 'zh'
    ? `lastmile ${command}: ${message}（用法见 lastmile ${command} --help）\n`
    : `lastmile ${command}: ${message} (see lastmile ${command} --help)\n`;
}
