// Default siren and strobe patterns by alarm level, and how a configured actuator overrides them.
// Fire is continuous on the siren and a fast strobe; alarm is pulsed; fault is a short chirp every
// 30 s, so a dirty detector is noticed but nobody mistakes it for fire.
import type { AlarmLevel } from '../../pipeline/types.js';

export interface Pattern {
  readonly onMs: number;
  /** 0 = continuous. */
  readonly offMs: number;
}

export type Role = 'siren' | 'strobe';

export const DEFAULT_PATTERNS: Readonly<Record<Role, Readonly<Partial<Record<AlarmLevel, Pattern>>>>> = {
  siren: {
    fire: { onMs: 1000, offMs: 0 },
    alarm: { onMs: 1000, offMs: 1000 },
    fault: { onMs: 200, offMs: 30_000 },
    warning: { onMs: 200, offMs: 60_000 },
    offline: { onMs: 200, offMs: 120_000 },
  },
  strobe: {
    fire: { onMs: 100, offMs: 100 },
    alarm: { onMs: 500, offMs: 500 },
    fault: { onMs: 200, offMs: 5000 },
    warning: { onMs: 200, offMs: 10_000 },
    offline: { onMs: 200, offMs: 20_000 },
  },
};

export function patternFor(role: Role, level: AlarmLevel, configured: Partial<Record<AlarmLevel, { on: number; off: number }>>): Pattern | undefined {
  const own = configured[level];
  if (own !== undefined) return { onMs: own.on, offMs: own.off };
  return DEFAULT_PATTERNS[role][level];
}

export function samePattern(a: Pattern | undefined, b: Pattern | undefined): boolean {
  return a?.onMs === b?.onMs && a?.offMs === b?.offMs;
}
