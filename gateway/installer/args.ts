// Small option parsing shared by the installer commands (scan, probe, doctor): `--name value` pairs,
// lists like `2400,9600`, ranges like `1-247`. Errors name the option, so a typo is obvious.

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** `--name value` options and the positional arguments left over. Flags listed in `booleans` take no value. */
export function parseOptions(args: readonly string[], booleans: readonly string[] = []): { options: Map<string, string>; positional: string[] } {
  const options = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    if (eq !== -1) {
      options.set(arg.slice(2, eq), arg.slice(eq + 1));
    } else if (booleans.includes(arg.slice(2))) {
      options.set(arg.slice(2), 'true');
    } else {
      const value = args[i + 1];
      if (value === undefined) throw new UsageError(`${arg} needs a value`);
      options.set(arg.slice(2), value);
      i++;
    }
  }
  return { options, positional };
}

export function intOption(options: Map<string, string>, name: string, min: number, max: number): number | undefined {
  const text = options.get(name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) throw new UsageError(`--${name} ${text}: expected a whole number ${min}–${max}`);
  return value;
}

/** `1-247`, `1,2,5-8` → sorted unique numbers within [min, max]. */
export function parseIntList(text: string, name: string, min: number, max: number): number[] {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const match = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!match) throw new UsageError(`--${name} ${text}: "${part}" is not a number or a range like 1-247`);
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    if (from < min || to > max || from > to) throw new UsageError(`--${name} ${text}: "${part}" must lie within ${min}–${max}`);
    for (let n = from; n <= to; n++) out.add(n);
  }
  return [...out].sort((a, b) => a - b);
}

export function parseChoiceList<T extends string>(text: string, name: string, choices: readonly T[]): T[] {
  const out: T[] = [];
  for (const part of text.split(',').map((p) => p.trim())) {
    if (!(choices as readonly string[]).includes(part)) throw new UsageError(`--${name} ${text}: "${part}" is not one of ${choices.join(', ')}`);
    if (!out.includes(part as T)) out.push(part as T);
  }
  return out;
}
