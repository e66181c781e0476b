// A gateway with just what a GB/T 26875 source needs, wired as the runtime wires it: the driver (with test
// timing), the decode stage, the rules stage and the alarm stage on one bus, plus recorders for the events.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSiteConfig } from '../../../../config/load-site.js';
import { AlarmStage } from '../../../../gateway/alarms/stage.js';
import { gbt26875DriverWith, type Gbt26875Driver } from '../../../../gateway/drivers/gbt26875/driver.js';
import type { Gbt26875DriverOptionsInput } from '../../../../gateway/drivers/gbt26875/options.js';
import { Decoder } from '../../../../gateway/pipeline/decoder.js';
import { EventBus } from '../../../../gateway/pipeline/event-bus.js';
import type { GatewayEvents } from '../../../../gateway/pipeline/events.js';
import type { AlarmEvent, Measurement, SourceStatus } from '../../../../gateway/pipeline/types.js';
import { onCondition, type RuleCondition } from '../../../../gateway/rules/condition.js';
import { RulesStage } from '../../../../gateway/rules/stage.js';
import type { RuntimeContext } from '../../../../gateway/pipeline/stage.js';
import { Stats } from '../../../../contract/stats.js';
import { HonestClock } from '../../../../gateway/time/honest-clock.js';
import { tempDir } from '../../../helpers/peers.js';
import { testContext } from '../../../helpers/runtime-context.js';

export interface TestGateway {
  readonly context: RuntimeContext;
  readonly driver: Gbt26875Driver;
  readonly stats: Stats;
  readonly alarms: AlarmEvent[];
  readonly conditions: RuleCondition[];
  readonly measurements: Measurement[];
  readonly statuses: SourceStatus[];
  latest(point: string): Measurement | undefined;
  stop(): Promise<void>;
}

export async function startGateway(siteText: string, options: Gbt26875DriverOptionsInput = {}, clockSynced = true): Promise<TestGateway> {
  const dir = tempDir('gbt26875');
  const file = join(dir.path, 'site.yaml');
  writeFileSync(file, siteText);
  const loaded = parseSiteConfig(file, siteText);
  const stats = new Stats();
  const events = new EventBus<GatewayEvents>((event, error) => {
    throw new Error(`listener for ${event} failed: ${String(error)}`);
  });
  const context = testContext(loaded, { events, clock: new HonestClock({ synced: clockSynced }), stats });
  const alarms: AlarmEvent[] = [];
  const conditions: RuleCondition[] = [];
  const measurements: Measurement[] = [];
  const statuses: SourceStatus[] = [];
  events.on('alarm', (a) => alarms.push(a));
  events.on('measurement', (m) => measurements.push(m));
  events.on('source.status', (s) => statuses.push(s));
  onCondition(events, (c) => conditions.push(c));
  const alarmStage = new AlarmStage(context);
  const rulesStage = new RulesStage(context);
  const decoder = new Decoder(context, context.sources);
  alarmStage.start();
  rulesStage.start();
  decoder.start();
  const driver = gbt26875DriverWith(options)(context) as Gbt26875Driver;
  driver.init();
  await driver.start();
  return {
    context,
    driver,
    stats,
    alarms,
    conditions,
    measurements,
    statuses,
    latest: (point) => measurements.filter((m) => m.point === point).at(-1),
    async stop() {
      await driver.stop();
      decoder.stop();
      rulesStage.stop();
      alarmStage.stop();
      dir.remove();
    },
  };
}
