// The seeded fault schedule of one run: when each fault happens, in seconds from the start of publishing.
// Pure (same seed, same schedule), printed with the results so a run can be repeated.
import { seededRandom } from '../seeded-random.js';

export type FaultKind = 'gateway-sigkill' | 'ingest-sigkill' | 'mosquitto-restart' | 'mosquitto-sigkill' | 'db-stop' | 'db-start' | 'disk-fill' | 'disk-free';

export interface Fault {
  readonly atS: number;
  readonly kind: FaultKind;
}

export interface FaultPlan {
  /** Publishing time; every fault lies inside it. */
  readonly durationS: number;
  readonly gatewayKills: number;
  readonly ingestKills: number;
  /** Only where the township broker is mosquitto. */
  readonly mosquittoRestarts: number;
  readonly mosquittoKills: number;
  readonly dbDownS: number;
  readonly diskFullS: number;
}


const round = (s: number) => Math.round(s * 10) / 10;

/**
 * Faults start after a warm-up and end a little before publishing stops. The database outage lies in
 * the first half of that span and the full disk in the second, so their effects can be told apart;
 * gateway kills are spread one per equal slot (never two at once); the rest fall anywhere.
 */
export function faultSchedule(plan: FaultPlan, seed: number, withMosquitto: boolean): Fault[] {
  const random = seededRandom(seed);
  const warmup = Math.min(5, plan.durationS * 0.1);
  const end = plan.durationS - 3;
  const span = end - warmup;
  const half = span / 2;
  if (plan.dbDownS > half || plan.diskFullS > half) throw new Error(`duration ${plan.durationS} s is too short for a ${plan.dbDownS} s database stop and a ${plan.diskFullS} s full disk`);
  const faults: Fault[] = [];
  const at = (kind: FaultKind, s: number) => faults.push({ kind, atS: round(s) });
  const dbStart = warmup + random() * (half - plan.dbDownS);
  if (plan.dbDownS > 0) {
    at('db-stop', dbStart);
    at('db-start', dbStart + plan.dbDownS);
  }
  const diskStart = warmup + half + random() * (half - plan.diskFullS);
  if (plan.diskFullS > 0) {
    at('disk-fill', diskStart);
    at('disk-free', diskStart + plan.diskFullS);
  }
  const slot = span / Math.max(1, plan.gatewayKills);
  for (let i = 0; i < plan.gatewayKills; i++) at('gateway-sigkill', warmup + i * slot + slot * (0.15 + 0.7 * random()));
  for (let i = 0; i < plan.ingestKills; i++) at('ingest-sigkill', warmup + random() * span);
  if (withMosquitto) {
    for (let i = 0; i < plan.mosquittoRestarts; i++) at('mosquitto-restart', warmup + random() * span);
    for (let i = 0; i < plan.mosquittoKills; i++) at('mosquitto-sigkill', warmup + random() * span);
  }
  return faults.sort((a, b) => a.atS - b.atS);
}
