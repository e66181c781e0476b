// Built-in stages in start order (sink-first): what consumes measurements and alarms starts before
// anything that produces them. One line per stage; a stage's factory returns undefined when unconfigured.
import type { StageFactory } from './pipeline/stage.js';

export const STAGES: readonly StageFactory[] = [
  // First: drivers and actuators get their MQTT clients from it (localBrokerOf).
  async (context) => (await import('./local-broker/stage.js')).createLocalBrokerStage(context),
  // Honest time: decides when the wall clock is good, so stamps taken before can be re-based.
  async (context) => (await import('./time/time-sync.js')).timeSyncStage(context),
  // Store-and-forward, sink-first: the spool is open before anything emits; the uplink drains it.
  async (context) => (await import('./spool/spool-stage.js')).spoolStage(context),
  async (context) => (await import('./uplink/uplink-stage.js')).uplinkStage(context),
  // Alarm path, sink-first: actuators hear every alarm the engine raises, the engine every rule condition.
  async (context) => (await import('./actuators/stage.js')).actuatorsStage(context),
  async (context) => (await import('./alarms/stage.js')).alarmStage(context),
  async (context) => (await import('./rules/stage.js')).rulesStage(context),
  // Last: the installer console reads the spool and uplink, and its test-siren command needs the alarm stage listening.
  async (context) => (await import('./console/stage.js')).createConsoleStage(context),
  // /metrics, /healthz, /readyz (metrics: section): ready once every stage and driver has started.
  async (context) => (await import('./health/stage.js')).metricsStage(context),
];
