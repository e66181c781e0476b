// Options of `npm run bench:delivery`, and the two fault plans: the full run issue 11 asks for, and the
// quick one the CI test (tests/e2e/delivery.test.ts) runs.
import { RECEIPT_TIMEOUT_S } from './gateway-site.js';
import type { FaultPlan } from './schedule.js';
import type { Shape } from './township.js';

export interface DeliveryOptions {
  readonly shapes: readonly Shape[];
  readonly seed: number;
  readonly quick: boolean;
  readonly plan: FaultPlan;
  readonly ratePerS: number;
  readonly alarmIntervalMs: number;
  readonly drainQuietS: number;
  readonly drainMaxS: number;
  readonly tmpfsBytes: number;
  readonly keep: boolean;
}

/** ≥ 20 gateway SIGKILLs, 2 cloud-ingest SIGKILLs, a mosquitto restart and SIGKILL, the database down ≥ 60 s, a full disk. */
export const FULL_PLAN: FaultPlan = { durationS: 300, gatewayKills: 22, ingestKills: 2, mosquittoRestarts: 1, mosquittoKills: 1, dbDownS: 65, diskFullS: 30 };
/** The CI test's shorter schedule: every kind of fault, fewer and shorter. */
export const QUICK_PLAN: FaultPlan = { durationS: 36, gatewayKills: 4, ingestKills: 1, mosquittoRestarts: 1, mosquittoKills: 1, dbDownS: 8, diskFullS: 6 };

export const USAGE = `usage: npm run bench:delivery -- [--shape embedded|mosquitto|both] [--duration <s>] [--seed <n>] [--quick] [--keep]
  --shape     township broker: cloud-ingest's embedded one, mosquitto with 2 workers, or both (default)
  --duration  publishing time in seconds (default ${FULL_PLAN.durationS}; --quick ${QUICK_PLAN.durationS})
  --seed      fault schedule seed (default: random, printed)
  --quick     the CI test's short schedule
  --keep      keep each run's folder (logs, configs, data) and print where
Runs as root (the spool's disk is a tmpfs). JSON on stdout, progress on stderr.`;

export function parseDeliveryArgs(args: readonly string[]): DeliveryOptions {
  const value = (name: string): string | undefined => {
    const i = args.indexOf(name);
    if (i === -1) return undefined;
    const v = args[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value\n${USAGE}`);
    return v;
  };
  const known = new Set(['--shape', '--duration', '--seed', '--quick', '--keep']);
  for (const arg of args) if (arg.startsWith('--') && !known.has(arg)) throw new Error(`unknown option ${arg}\n${USAGE}`);
  const shape = value('--shape') ?? 'both';
  if (shape !== 'embedded' && shape !== 'mosquitto' && shape !== 'both') throw new Error(`--shape ${shape}: expected embedded, mosquitto or both\n${USAGE}`);
  const quick = args.includes('--quick');
  const base = quick ? QUICK_PLAN : FULL_PLAN;
  const duration = value('--duration');
  const durationS = duration === undefined ? base.durationS : Number(duration);
  if (!Number.isFinite(durationS) || durationS <= 0) throw new Error(`--duration ${duration}: expected seconds`);
  const seedText = value('--seed');
  const seed = seedText === undefined ? Math.floor(Math.random() * 0x7fffffff) : Number(seedText);
  if (!Number.isInteger(seed)) throw new Error(`--seed ${seedText}: expected an integer`);
  return deliveryOptions({ shapes: shape === 'both' ? ['embedded', 'mosquitto'] : [shape], seed, quick, durationS, keep: args.includes('--keep') });
}

/** The options for a run; the CI test calls this directly. */
export function deliveryOptions(o: { shapes: readonly Shape[]; seed: number; quick: boolean; durationS?: number; keep?: boolean }): DeliveryOptions {
  const base = o.quick ? QUICK_PLAN : FULL_PLAN;
  return {
    shapes: o.shapes,
    seed: o.seed,
    quick: o.quick,
    plan: { ...base, durationS: o.durationS ?? base.durationS },
    ratePerS: 100,
    alarmIntervalMs: o.quick ? 700 : 1000,
    // Quiet for longer than the receipt timeout: in the mosquitto shape a worker SIGKILLed with batches
    // in hand (it PUBACKs at once) leaves them to the gateway's resend, RECEIPT_TIMEOUT_S later. A
    // 20 s quiet drain once ended before that resend and counted 597 measurements still in the spool
    // as lost (CI, 2026-12-03).
    drainQuietS: RECEIPT_TIMEOUT_S + (o.quick ? 10 : 15),
    drainMaxS: o.quick ? 120 : 300,
    tmpfsBytes: 16 * 1024 * 1024,
    keep: o.keep ?? false,
  };
}
