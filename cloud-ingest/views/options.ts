// Config of what the township views show (the `views` section): display names for the ids the registry
// and the gateways use, the unit and rule thresholds of each field (the gateway's site rules, mirrored
// here because telemetry lines carry neither), how history is read back, and the statistics' limits.
import { z } from 'zod';
import { ALARM_LEVELS } from '../../contract/vocabulary.js';
import { riskSection } from '../stats/risk.js';

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'hh:mm, local time');

const names = z.record(z.string().min(1), z.string().min(1).max(80));

const threshold = z.strictObject({
  value: z.number().describe('The rule threshold, in the field unit'),
  level: z.enum(ALARM_LEVELS).default('alarm').describe('Colour of the line drawn (fire red, alarm orange, fault yellow, warning blue)'),
  label: z.string().min(1).max(40).optional().describe('Shown beside the line, e.g. 上限 / high'),
});

const field = z.strictObject({
  field: z.string().min(1).describe('Field key as the gateway writes it (the point id, e.g. loop8_current)'),
  measurement: z.string().min(1).optional().describe('Only this measurement; without it, the field in every measurement'),
  unit: z.string().min(1).max(16).optional().describe('Unit shown beside every value, e.g. mA, °C, kWh'),
  name: z.strictObject({ zh: z.string().min(1), en: z.string().min(1).optional() }).optional().describe('What the field is called on the board'),
  thresholds: z.array(threshold).default([]).describe('Rule thresholds drawn on the history chart'),
  range: z.strictObject({ min: z.number().optional(), max: z.number().optional() }).optional().describe('Plausible values; outside it a value counts as out of range (data quality)'),
});

export const viewsSection = z
  .strictObject({
    names: z
      .strictObject({
        townships: names.default({}),
        compounds: names.default({}),
        gateways: names.default({}),
        sources: names.default({}).describe('Key <gateway>/<source> or <source>'),
      })
      .default({ townships: {}, compounds: {}, gateways: {}, sources: {} })
      .describe('Display names instead of ids (ids stay visible on hover)'),
    fields: z.array(field).default([]),
    heartbeats: z
      .record(z.string().min(1), z.number().int().min(10).max(7 * 86_400))
      .default({})
      .describe('Event-only sources (key <gateway>/<source> or <source>): seconds of their heartbeat contract; online while heard from within it, however quiet between events'),
    stats: z
      .strictObject({
        utcOffsetMinutes: z.number().int().min(-720).max(840).default(480).describe('Local time of the day and week buckets (China: UTC+8, no DST)'),
        falseAlarmRate: z.number().min(0).max(1).default(0.3).describe('A device or compound is flagged when false alarms / closed cases reach this…'),
        falseAlarmMinClosed: z.number().int().min(1).default(3).describe('…with at least this many closed cases'),
        repeatMin: z.number().int().min(2).default(3).describe('Repeat hazard: the same source and rule in at least this many cases within 7 days'),
      })
      .default({ utcOffsetMinutes: 480, falseAlarmRate: 0.3, falseAlarmMinClosed: 3, repeatMin: 3 }),
    risk: riskSection,
    nightEnergy: z
      .strictObject({
        measurement: z.string().min(1).default('power').describe('Measurement of the energy meters'),
        field: z.string().min(1).default('import_energy').describe('Cumulative energy counter in kWh'),
        from: hhmm.default('00:00'),
        to: hhmm.default('05:00'),
        nights: z.number().int().min(3).max(30).default(7).describe('Previous nights whose median is the meter’s baseline'),
        factor: z.number().min(1).default(2).describe('Flagged when last night is above factor × baseline…'),
        minKwh: z.number().min(0).default(0.5).describe('…and at least this many kWh'),
      })
      .default({ measurement: 'power', field: 'import_energy', from: '00:00', to: '05:00', nights: 7, factor: 2, minKwh: 0.5 })
      .describe('Night-time electricity per meter against its own baseline (the Nantong case)'),
    history: z
      .strictObject({
        query: z.enum(['prometheus', 'none']).default('prometheus').describe('prometheus: read back through /api/v1/query_range at influx.url (VictoriaMetrics); none: memory window only'),
        gapAfterS: z.number().int().min(10).max(86_400).default(300).describe('No sample for this long (or one chart step, if longer) is drawn as a gap'),
        timeoutMs: z.number().int().min(100).default(10_000),
      })
      .default({ query: 'prometheus', gapAfterS: 300, timeoutMs: 10_000 }),
  })
  .default({ names: { townships: {}, compounds: {}, gateways: {}, sources: {} }, fields: [], heartbeats: {}, stats: { utcOffsetMinutes: 480, falseAlarmRate: 0.3, falseAlarmMinClosed: 3, repeatMin: 3 }, risk: riskSection.parse(undefined), nightEnergy: { measurement: 'power', field: 'import_energy', from: '00:00', to: '05:00', nights: 7, factor: 2, minKwh: 0.5 }, history: { query: 'prometheus', gapAfterS: 300, timeoutMs: 10_000 } });

export type ViewsConfig = z.infer<typeof viewsSection>;
export type FieldView = z.infer<typeof field>;

/** The configured view of one field (the measurement-specific entry first). */
export function fieldView(views: ViewsConfig, measurement: string, fieldKey: string): FieldView | undefined {
  return views.fields.find((f) => f.field === fieldKey && f.measurement === measurement) ?? views.fields.find((f) => f.field === fieldKey && f.measurement === undefined);
}

/** The heartbeat contract of an event-only source, in ms (the gateway-specific key first), if configured. */
export function heartbeatMs(views: ViewsConfig, gateway: string, source: string): number | undefined {
  const s = views.heartbeats[`${gateway}/${source}`] ?? views.heartbeats[source];
  return s === undefined ? undefined : s * 1000;
}
