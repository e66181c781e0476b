// `lastmile passwd [--out <file>]`: reads a password from stdin (hidden when typed at a terminal) and
// prints its scrypt hash, the one-line format a localBroker user's passwordFile holds. The password is
// never echoed, printed or written anywhere; only the hash is.
import { usageLine } from './help.js';
import { writeFileSync } from 'node:fs';
import { hashPassword } from '../../contract/password-hash.js';

export const MIN_PASSWORD_LENGTH = 8;

export interface PasswdIo {
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}


/** Reads all of stdin; strips one trailing newline (from `echo` or Enter). */
async function readPiped(stdin: PasswdIo['stdin']): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** Reads one line at a terminal without echo. */
async function readHidden(io: PasswdIo, prompt: string): Promise<string> {
  io.stderr.write(prompt);
  const stdin = io.stdin;
  stdin.setRawMode?.(true);
  try {
    let text = '';
    for await (const chunk of stdin) {
      for (const ch of chunk.toString()) {
        if (ch === '\r' || ch === '\n') return text;
        if (ch === '\u0003') throw new Error('cancelled');
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else text += ch;
      }
    }
    return text;
  } finally {
    stdin.setRawMode?.(false);
    io.stderr.write('\n');
  }
}

export async function passwdCommand(args: string[], io: PasswdIo = process): Promise<number> {
  const outIndex = args.indexOf('--out');
  const out = outIndex === -1 ? undefined : args[outIndex + 1];
  const unknown = outIndex === -1 ? args : args.filter((_arg, index) => index !== outIndex && index !== outIndex + 1);
  if (outIndex !== -1 && out === undefined) {
    io.stderr.write(usageLine('passwd', '--out needs a file / --out 需要文件路径'));
    return 2;
  }
  if (unknown.length > 0) {
    io.stderr.write(usageLine('passwd', `unexpected argument "${unknown[0]}" / 多余的参数 "${unknown[0]}"`));
    return 2;
  }
  let password: string;
  if (io.stdin.isTTY) {
    password = await readHidden(io, 'password / 密码: ');
    const again = await readHidden(io, 'again / 再输一次: ');
    if (again !== password) {
      io.stderr.write('passwords differ / 两次输入不一致\n');
      return 1;
    }
  } else {
    password = await readPiped(io.stdin);
  }
  if ([...password].length < MIN_PASSWORD_LENGTH) {
    io.stderr.write(`password too short: at least ${MIN_PASSWORD_LENGTH} characters / 密码至少 ${MIN_PASSWORD_LENGTH} 个字符\n`);
    return 1;
  }
  const line = `${await hashPassword(password)}\n`;
  if (out === undefined) {
    io.stdout.write(line);
  } else {
    // 0600: the hash is not the password, but it still allows offline guessing.
    writeFileSync(out, line, { mode: 0o600 });
    io.stderr.write(`wrote ${out}\n`);
  }
  return 0;
}
