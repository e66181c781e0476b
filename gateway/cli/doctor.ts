// `lastmile doctor <config> [--lang zh|en]`: checks serial ports, clock sync, the township broker, the
// spool's room and every Modbus source; prints a pass/fail list; exit code 1 when anything failed.
import { usageLine } from './help.js';
import { parseChoiceList, parseOptions, UsageError } from '../installer/args.js';
import { formatDoctor, runDoctor, type DoctorOptions } from '../installer/doctor.js';


export async function doctorCommand(args: string[], io: { stdout: { write(t: string): unknown }; stderr: { write(t: string): unknown } } = process, options: DoctorOptions = {}): Promise<number> {
  let file: string;
  let lang: 'zh' | 'en';
  try {
    const { options: opts, positional } = parseOptions(args);
    if (positional.length !== 1) throw new UsageError('give one config file');
    file = positional[0]!;
    lang = parseChoiceList<'zh' | 'en'>(opts.get('lang') ?? 'zh', 'lang', ['zh', 'en'])[0]!;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(usageLine('doctor', error.message));
    return 2;
  }
  const results = await runDoctor(file, options);
  io.stdout.write(formatDoctor(results, lang));
  return results.some((r) => r.status === 'fail') ? 1 : 0;
}
