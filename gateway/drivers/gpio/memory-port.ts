// An in-memory GpioPort for tests and the demo (this development machine has no GPIO). Inputs follow
// onoff's behaviour: after a change the level must stay put for debounceMs (a trailing debounce), then
// watchers get the level read at that moment if the edge setting lets it through.
import type { GpioEdge, GpioInput, GpioLevel, GpioOutput, GpioPort } from './port.js';

interface InputLine {
  level: GpioLevel;
  open: boolean;
  edge: GpioEdge;
  debounceMs: number;
  timer: NodeJS.Timeout | undefined;
  readonly watchers: Set<(level: GpioLevel) => void>;
}

export class MemoryGpioPort implements GpioPort {
  private readonly inputs = new Map<number, InputLine>();
  private readonly outputs = new Map<number, { level: GpioLevel; open: boolean }>();

  /** Sets the electrical level of an input line, as the wiring would (a door opening, a relay contact). */
  setInput(line: number, level: GpioLevel): void {
    const input = this.inputLine(line);
    if (input.level === level) return;
    input.level = level;
    if (!input.open || input.watchers.size === 0 || input.edge === 'none') return;
    if (input.debounceMs <= 0) {
      this.notify(input);
      return;
    }
    clearTimeout(input.timer);
    input.timer = setTimeout(() => this.notify(input), input.debounceMs);
  }

  /** Current electrical level of an input line (0 until set). */
  inputLevel(line: number): GpioLevel {
    return this.inputLine(line).level;
  }

  /** Level last written to an output line, or undefined when it was never opened as an output. */
  outputLevel(line: number): GpioLevel | undefined {
    return this.outputs.get(line)?.level;
  }

  /** Lines opened and not yet closed, for tests that check stop() releases everything. */
  openLines(): { inputs: number[]; outputs: number[] } {
    const open = (map: Map<number, { open: boolean }>) => [...map].filter(([, l]) => l.open).map(([n]) => n).sort((a, b) => a - b);
    return { inputs: open(this.inputs), outputs: open(this.outputs) };
  }

  async input(line: number, options: { edge: GpioEdge; debounceMs: number }): Promise<GpioInput> {
    this.claim(line);
    const input = this.inputLine(line);
    Object.assign(input, { open: true, edge: options.edge, debounceMs: options.debounceMs });
    return {
      read: async () => input.level,
      watch: (callback) => {
        input.watchers.add(callback);
        return () => input.watchers.delete(callback);
      },
      close: async () => {
        clearTimeout(input.timer);
        input.watchers.clear();
        input.open = false;
      },
    };
  }

  async output(line: number, options: { initial: GpioLevel }): Promise<GpioOutput> {
    this.claim(line);
    const output = { level: options.initial, open: true };
    this.outputs.set(line, output);
    return {
      write: async (level) => {
        if (!output.open) throw new Error(`GPIO line ${line} is closed`);
        output.level = level;
      },
      level: () => output.level,
      close: async () => {
        output.open = false;
      },
    };
  }

  private claim(line: number): void {
    if (!Number.isInteger(line) || line < 0) throw new Error(`GPIO line ${line} is not a line number`);
    if (this.inputs.get(line)?.open || this.outputs.get(line)?.open) throw new Error(`GPIO line ${line} is already in use`);
  }

  private inputLine(line: number): InputLine {
    let input = this.inputs.get(line);
    if (!input) {
      input = { level: 0, open: false, edge: 'none', debounceMs: 0, timer: undefined, watchers: new Set() };
      this.inputs.set(line, input);
    }
    return input;
  }

  private notify(input: InputLine): void {
    input.timer = undefined;
    const { level, edge } = input;
    if (edge === 'rising' && level !== 1) return;
    if (edge === 'falling' && level !== 0) return;
    for (const watcher of [...input.watchers]) watcher(level);
  }
}
