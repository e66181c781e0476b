// Plays a blink pattern on one GPIO output. The first "on" is written at once (in the same call as the
// alarm event) so the siren starts without waiting for a timer; later edges run on timers.
import type { GpioLevel, GpioOutput } from '../../drivers/gpio/port.js';
import type { Pattern } from './patterns.js';

export class PatternPlayer {
  private timer: NodeJS.Timeout | undefined;
  private playing: Pattern | undefined;
  /** The last write, already guarded by onWriteError, so stop() can wait for the output to settle. */
  private lastWrite: Promise<void> = Promise.resolve();

  constructor(
    private readonly output: GpioOutput,
    private readonly activeLow: boolean,
    /** Called when a write fails (the stage logs and counts it); the pattern keeps running. */
    private readonly onWriteError: (error: unknown) => void,
  ) {}

  pattern(): Pattern | undefined {
    return this.playing;
  }

  /** Starts a pattern (or stops with undefined); restarting the same pattern is a no-op. */
  play(pattern: Pattern | undefined): void {
    if (pattern?.onMs === this.playing?.onMs && pattern?.offMs === this.playing?.offMs) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.playing = pattern;
    if (pattern === undefined) {
      this.write(false);
      return;
    }
    this.phase(true);
  }

  private phase(on: boolean): void {
    const pattern = this.playing;
    if (pattern === undefined) return;
    this.write(on);
    if (pattern.offMs === 0) return;
    this.timer = setTimeout(() => this.phase(!on), on ? pattern.onMs : pattern.offMs);
  }

  private write(on: boolean): void {
    const level: GpioLevel = on !== this.activeLow ? 1 : 0;
    this.lastWrite = this.output.write(level).catch(this.onWriteError);
  }

  /** Switches the output off and resolves once that write is done. */
  async stop(): Promise<void> {
    this.play(undefined);
    await this.lastWrite;
  }
}
