// The vocabulary both sides speak (see ../shared/DESIGN.md): device classes, alarm levels, states and
// events, commands to a gateway, the texts shown to people. The gateway's pipeline uses these types between
// its stages and sends them on the wire; cloud-ingest reads them from there. Only what crosses the wire is
// here; the pipeline's internal types (readings, measurements, faults) stay in gateway/pipeline/types.ts.

export const DEVICE_CLASSES = ['smoke', 'water_level', 'power', 'residual_current', 'temperature', 'door', 'gateway'] as const;
export type DeviceClass = (typeof DEVICE_CLASSES)[number];

/** good: decoded from a fresh answer; uncertain: stale, clamped or pre-clock-sync; bad: device reported a fault. */
export type Quality = 'good' | 'uncertain' | 'bad';

/** Location and identity tags carried by every measurement (line-protocol tags). */
export type Tags = Readonly<Record<string, string>>;

export type MeasurementValue = number | boolean | string;

/** Texts shown to residents, installers and township staff: zh-CN first, en beside it. */
export interface LocalText {
  readonly zh: string;
  readonly en: string;
}

/** Alarm levels, most urgent first: fire > alarm > fault > warning > offline. */
export const ALARM_LEVELS = ['fire', 'alarm', 'fault', 'warning', 'offline'] as const;
export type AlarmLevel = (typeof ALARM_LEVELS)[number];

/** Rank for ordering: lower is more urgent. */
export function alarmLevelRank(level: AlarmLevel): number {
  return ALARM_LEVELS.indexOf(level);
}

export type AlarmState = 'raised' | 'acknowledged' | 'cleared';

/** What happened to an alarm; every transition is one event with its own id, for the spool's alarm lane. */
export type AlarmTransition = 'raise' | 'escalate' | 'acknowledge' | 'silence' | 'unsilence' | 'clear' | 'reset';

export interface AlarmEvent {
  /** Unique per transition; cloud-ingest drops repeats. */
  readonly eventId: string;
  /** Stable per condition (source/point/rule), so a board can follow one alarm through its states. */
  readonly alarmId: string;
  readonly transition: AlarmTransition;
  readonly state: AlarmState;
  readonly level: AlarmLevel;
  readonly source: string;
  readonly point: string | undefined;
  readonly rule: string;
  readonly value: MeasurementValue | undefined;
  readonly text: LocalText;
  readonly tags: Tags;
  readonly ts: number;
  readonly mono: number;
  readonly timeSynced: boolean;
  /** Who acknowledged, silenced or reset (local button, township user), where a person did. */
  readonly by: string | undefined;
}

/** A command to the gateway: from the township (uplink), the installer console or a local button. */
export type GatewayCommand =
  | { readonly kind: 'acknowledge'; readonly alarmId: string; readonly by: string }
  | { readonly kind: 'silence'; readonly alarmId: string | undefined; readonly by: string; readonly forMs: number }
  | { readonly kind: 'reset'; readonly alarmId: string; readonly by: string }
  | { readonly kind: 'test_alarm'; readonly by: string; readonly level: AlarmLevel; readonly forMs: number }
  | { readonly kind: 'request_health'; readonly by: string }
  | { readonly kind: 'request_config'; readonly by: string };
