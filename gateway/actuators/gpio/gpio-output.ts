// A siren or strobe on a GPIO line: follows the alarm set and plays the pattern of the most urgent
// alarm it should show. Siren: raised alarms that are not acknowledged or silenced. Strobe: every
// alarm not yet cleared (silence stops the sound, not the light).
import type { z } from 'zod';
import type { gpioSirenActuator, gpioStrobeActuator } from './options.js';
import { isShowing, isSounding, type AlarmView } from '../../alarms/alarm.js';
import type { GpioOutput } from '../../drivers/gpio/port.js';
import { alarmLevelRank, type AlarmLevel } from '../../pipeline/types.js';
import { PatternPlayer } from './pattern-player.js';
import { patternFor } from './patterns.js';

export type GpioOutputConfig = z.infer<typeof gpioSirenActuator> | z.infer<typeof gpioStrobeActuator>;

/**
 * The level a siren or strobe with these levels plays for this alarm set, or undefined when it is
 * quiet/dark. Also what the installer console shows as the siren's state, so both agree by construction.
 */
export function drivingLevelOf(role: 'siren' | 'strobe', levels: ReadonlySet<AlarmLevel>, alarms: readonly AlarmView[]): AlarmLevel | undefined {
  const wanted = role === 'siren' ? isSounding : isShowing;
  let best: AlarmLevel | undefined;
  for (const alarm of alarms) {
    if (!levels.has(alarm.level) || !wanted(alarm)) continue;
    if (best === undefined || alarmLevelRank(alarm.level) < alarmLevelRank(best)) best = alarm.level;
  }
  return best;
}

export class GpioAlarmOutput {
  private readonly player: PatternPlayer;
  private readonly levels: ReadonlySet<AlarmLevel>;

  constructor(
    readonly config: GpioOutputConfig,
    readonly output: GpioOutput,
    onWriteError: (error: unknown) => void,
  ) {
    this.player = new PatternPlayer(output, config.activeLow, onWriteError);
    this.levels = new Set(config.levels);
  }

  /** The level now driving the output, or undefined when it is quiet/dark. */
  drivingLevel(alarms: readonly AlarmView[]): AlarmLevel | undefined {
    return drivingLevelOf(this.config.role, this.levels, alarms);
  }

  update(alarms: readonly AlarmView[]): void {
    const level = this.drivingLevel(alarms);
    this.player.play(level === undefined ? undefined : patternFor(this.config.role, level, this.config.patterns));
  }

  /** Switches off and releases the line. */
  async stop(): Promise<void> {
    await this.player.stop();
    await this.output.close();
  }
}
