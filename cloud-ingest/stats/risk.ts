// Risk colour per compound (red / orange / yellow / green), from rules in the config (views.risk): each
// colour holds when any of its conditions does, checked red → orange → yellow; otherwise green. The
// reasons that made the colour are returned with it, so the board can say why a compound is red.
import { z } from 'zod';
import { ALARM_LEVELS } from '../../contract/vocabulary.js';
import type { AlarmCase } from '../alarms/types.js';
import type { CaseStats } from './case-stats.js';

const condition = z.strictObject({
  openLevels: z.array(z.enum(ALARM_LEVELS)).default([]).describe('An open (non-test) case of one of these levels'),
  overdueOpen: z.number().int().min(1).optional().describe('At least this many open cases with a late step'),
  repeatHazards: z.number().int().min(1).optional().describe('At least this many repeat hazards in the last 7 days'),
  flaggedDevices: z.number().int().min(1).optional().describe('At least this many devices flagged for false alarms'),
  gatewaysOffline: z.number().int().min(1).optional().describe('At least this many of its gateways offline'),
});

export const riskSection = z
  .strictObject({ red: condition, orange: condition, yellow: condition })
  .default({
    red: { openLevels: ['fire'], overdueOpen: 1 },
    orange: { openLevels: ['alarm'], repeatHazards: 1 },
    yellow: { openLevels: ['fault', 'warning', 'offline'], flaggedDevices: 1, gatewaysOffline: 1 },
  })
  .describe('Risk colour per compound: a colour holds when any of its conditions does (red first, then orange, yellow; else green)');

export type RiskRules = z.infer<typeof riskSection>;
export type RiskColour = 'red' | 'orange' | 'yellow' | 'green';

/** What the rules look at for one compound. */
export interface RiskInputs {
  readonly openLevels: ReadonlySet<string>;
  readonly overdueOpen: number;
  readonly repeatHazards: number;
  readonly flaggedDevices: number;
  readonly gatewaysOffline: number;
}

export function riskColour(rules: RiskRules, inputs: RiskInputs): { colour: RiskColour; reasons: string[] } {
  for (const colour of ['red', 'orange', 'yellow'] as const) {
    const c = rules[colour];
    const reasons: string[] = [];
    for (const level of c.openLevels) if (inputs.openLevels.has(level)) reasons.push(`open:${level}`);
    if (c.overdueOpen !== undefined && inputs.overdueOpen >= c.overdueOpen) reasons.push(`overdue:${inputs.overdueOpen}`);
    if (c.repeatHazards !== undefined && inputs.repeatHazards >= c.repeatHazards) reasons.push(`repeat:${inputs.repeatHazards}`);
    if (c.flaggedDevices !== undefined && inputs.flaggedDevices >= c.flaggedDevices) reasons.push(`false_alarms:${inputs.flaggedDevices}`);
    if (c.gatewaysOffline !== undefined && inputs.gatewaysOffline >= c.gatewaysOffline) reasons.push(`offline:${inputs.gatewaysOffline}`);
    if (reasons.length > 0) return { colour, reasons };
  }
  return { colour: 'green', reasons: [] };
}

/** The inputs of one compound: its open cases now, its statistics, and how many of its gateways are offline. */
export function riskInputs(open: readonly AlarmCase[], stats: CaseStats | undefined, gatewaysOffline: number): RiskInputs {
  const real = open.filter((c) => !c.isTest && c.closedAt === undefined);
  return {
    openLevels: new Set(real.map((c) => c.level)),
    overdueOpen: real.filter((c) => c.overdue).length,
    repeatHazards: stats?.repeatHazards.length ?? 0,
    flaggedDevices: stats?.falseAlarmsByDevice.filter((d) => d.flagged).length ?? 0,
    gatewaysOffline,
  };
}
