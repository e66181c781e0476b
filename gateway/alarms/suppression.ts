// Suppression windows (drills, maintenance): decided on the wall clock, and only when it is synced, so
// a box that lost its time never silences a real alarm by mistake.
import type { SuppressionWindow } from '../../config/sections/rules.js';
import { inDailyWindow, localMinutes } from '../rules/window/rule.js';

/** The reason of the first open window, or undefined when none is open (or the clock is not trusted). */
export function openSuppression(windows: readonly SuppressionWindow[], wall: number, synced: boolean, timeZone?: string): string | undefined {
  if (!synced) return undefined;
  for (const window of windows) {
    if ('start' in window) {
      if (wall >= Date.parse(window.start) && wall < Date.parse(window.end)) return window.reason;
    } else if (inDailyWindow(localMinutes(wall, timeZone), window.from, window.to)) {
      return window.reason;
    }
  }
  return undefined;
}
