// The local silence/acknowledge button on a GPIO input. Short press: silence every alarm for
// `silenceFor` (the alarms stay active; a new alarm sounds again). Long press (held `longPress`):
// acknowledge every raised alarm; it fires while still held, so staff know when to let go.
// Debounce is the port's job (GpioPort.input debounceMs); this class only times presses.
import type { z } from 'zod';
import type { gpioSilenceButton } from './options.js';
import type { AlarmBoard } from '../../alarms/board.js';
import type { GpioInput, GpioLevel } from '../../drivers/gpio/port.js';
import type { GatewayCommand } from '../../pipeline/types.js';

export type SilenceButtonConfig = z.infer<typeof gpioSilenceButton>;

export class SilenceButton {
  private pressed = false;
  private longTimer: NodeJS.Timeout | undefined;
  private longHandled = false;
  private unwatch: (() => void) | undefined;
  private readonly longPressMs: number;
  private readonly silenceForMs: number;

  constructor(
    readonly config: SilenceButtonConfig,
    private readonly board: AlarmBoard,
    private readonly command: (command: GatewayCommand) => void,
  ) {
    this.longPressMs = config.longPress;
    this.silenceForMs = config.silenceFor;
  }

  get by(): string {
    return `button:${this.config.id}`;
  }

  attach(input: GpioInput): void {
    this.unwatch = input.watch((level) => this.edge(level));
  }

  /** One debounced edge from the port. */
  edge(level: GpioLevel): void {
    const down = (level === 0) === this.config.activeLow;
    if (down === this.pressed) return;
    this.pressed = down;
    if (down) {
      this.longHandled = false;
      this.longTimer = setTimeout(() => this.longPress(), this.longPressMs);
      return;
    }
    clearTimeout(this.longTimer);
    this.longTimer = undefined;
    if (!this.longHandled) this.command({ kind: 'silence', alarmId: undefined, by: this.by, forMs: this.silenceForMs });
  }

  private longPress(): void {
    this.longHandled = true;
    for (const alarm of this.board.list()) {
      if (alarm.state === 'raised') this.command({ kind: 'acknowledge', alarmId: alarm.alarmId, by: this.by });
    }
  }

  stop(): void {
    clearTimeout(this.longTimer);
    this.unwatch?.();
    this.unwatch = undefined;
  }
}
