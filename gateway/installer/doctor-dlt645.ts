// Doctor's check of a DL/T 645 meter: one read of its first measured item (voltage, or the first energy),
// decoded with its profile and judged by the same plausibility check as Modbus points. One line per bus,
// one transaction at a time; an error reply, silence and a garbled answer each get their own advice.
import type { Dlt645Bus } from '../../config/sections/dlt645.js';
import { decodeAll } from '../devices/decode.js';
import type { ResolvedSource } from '../drivers/driver.js';
import { errorText } from '../drivers/dlt645/frame.js';
import { itemValues, planItems } from '../drivers/dlt645/plan.js';
import { Dlt645Fault, Dlt645Transport, openLine, type LineOpener } from '../drivers/dlt645/transport.js';
import { text, type CheckResult } from './doctor-checks.js';
import { judgePoint } from './plausible.js';

export class Dlt645DoctorLines {
  private readonly lines = new Map<string, Dlt645Transport>();

  constructor(private readonly openStream: LineOpener = openLine) {}

  async check(source: ResolvedSource): Promise<CheckResult> {
    const id = source.config.id;
    const title = text(`数据源 ${id}（${source.profile.id}）`, `Source ${id} (${source.profile.id})`);
    const bus = source.bus as Dlt645Bus | undefined;
    const meter = source.config.meter;
    const items = planItems(source.profile, source.resolved.points);
    const item = items.find((i) => i.points.some((p) => p.point.unit === 'V')) ?? items[0];
    if (bus?.type !== 'dlt645' || meter === undefined || item === undefined) {
      return { status: 'fail', title, detail: text('配置不完整：需要 dlt645 总线和表号 meter', 'incomplete: needs a dlt645 bus and "meter"') };
    }
    let line = this.lines.get(bus.id);
    if (!line) {
      line = new Dlt645Transport(bus, this.openStream);
      this.lines.set(bus.id, line);
    }
    const where = `meter ${meter} DI ${item.di}`;
    try {
      const bytes = await line.readItem(meter, item.di);
      const point = item.points[0]!.point;
      const result = decodeAll(source.resolved.points, itemValues(item, bytes).values).get(point.id) ?? { kind: 'error' as const, message: 'no value in the answer' };
      const judged = judgePoint(point, result);
      if (judged.ok) return { status: 'pass', title, detail: text(`已应答：${point.id} = ${judged.zh}（${where}）`, `answered: ${point.id} = ${judged.en} (${where})`) };
      return {
        status: 'fail',
        title,
        detail: text(
          `已应答但读数不可信：${point.id} = ${judged.zh}（${where}，${bytes.toString('hex')}）—— 用 lastmile probe --protocol dlt645 对照`,
          `answered, but the reading cannot be trusted: ${point.id} = ${judged.en} (${where}, ${bytes.toString('hex')}) — compare with lastmile probe --protocol dlt645`,
        ),
      };
    } catch (error) {
      if (!(error instanceof Dlt645Fault)) throw error;
      switch (error.kind) {
        case 'exception':
          return { status: 'fail', title, detail: text(`电表在但报错应答：${errorText(error.errorCode ?? 0)}（${where}）—— 型号档案不对？`, `the meter is there but refused: ${errorText(error.errorCode ?? 0)} (${where}) — wrong profile?`) };
        case 'timeout':
          return { status: 'fail', title, detail: text(`无应答（${where}）：检查表号、波特率/校验位（常为 2400 8E1）、A/B 接线，可用 lastmile scan --protocol dlt645`, `no answer (${where}): check the meter address, baud/parity (usually 2400 8E1), A/B wiring; try lastmile scan --protocol dlt645`) };
        case 'connection':
          return { status: 'fail', title, detail: text(`总线 ${bus.id} 无法打开：${error.message}`, `bus ${bus.id} cannot be opened: ${error.message}`) };
        default:
          return { status: 'fail', title, detail: text(`应答乱码（${where}）：波特率/校验位或 A/B 接线不对`, `garbled answer (${where}): baud/parity or A/B wiring is wrong`) };
      }
    }
  }

  async close(): Promise<void> {
    for (const line of this.lines.values()) await line.close();
    this.lines.clear();
  }
}
