// Doctor's source check: every enabled Modbus source (and DL/T 645 meter, doctor-dlt645.ts) is asked once for its first point (and the registers
// its decimals or unit code come from), one bus at a time (an RS-485 line carries one transaction at a
// time), and the answer is decoded with its profile and judged by probe's plausibility check: a fault,
// a value outside the documented range or an implausible number (-4.17e-8 V: wrong word order) fails.
// Other drivers (MQTT, OPC UA, GPIO) push or are event-driven: the console shows their live state.
import type { LoadedSite } from '../../config/load-site.js';
import { decodeAll } from '../devices/decode.js';
import { RegisterImage } from '../devices/register-image.js';
import type { ResolvedPoint } from '../devices/resolve.js';
import { resolveSources } from '../runtime.js';
import { text, sourceTimeoutMs, type CheckResult } from './doctor-checks.js';
import { Dlt645DoctorLines } from './doctor-dlt645.js';
import { exceptionText, isModbusBus, LinkError, openModbusLink, type ModbusLink } from './modbus-link.js';
import { judgePoint } from './plausible.js';

/** The registers a point needs besides its own: where its decimals and unit code live. */
function dependenciesOf(point: ResolvedPoint, points: readonly ResolvedPoint[]): ResolvedPoint[] {
  return points.filter((p) => p.id === point.decimalsFrom || p.id === point.unitFrom?.point);
}

export async function checkSources(loaded: LoadedSite, open: typeof openModbusLink = openModbusLink, meterLines = new Dlt645DoctorLines()): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const links = new Map<string, ModbusLink>();
  try {
    for (const source of resolveSources(loaded)) {
      const id = source.config.id;
      const title = text(`数据源 ${id}（${source.profile.id}）`, `Source ${id} (${source.profile.id})`);
      if (source.profile.driver === 'gbt26875') continue; // the device connects to us: doctor-gbt26875.ts listens for it
      const bus = source.bus;
      if (source.profile.driver === 'dlt645') {
        results.push(await meterLines.check(source));
        continue;
      }
      if (source.profile.driver !== 'modbus' || bus === undefined || !isModbusBus(bus) || source.config.unit === undefined) {
        results.push({ status: 'skip', title, detail: text(`${source.profile.driver} 数据源由设备主动上报，请在安装控制台查看`, `${source.profile.driver} sources report by themselves; see the installer console`) });
        continue;
      }
      const points = source.resolved.points;
      // The first measured register point; its decimals and unit code are read along with it.
      const point = points.find((p) => !p.internal && (p.function === 3 || p.function === 4)) ?? points.find((p) => !p.internal) ?? points[0]!;
      const busWithTimeout = { ...bus, timeout: sourceTimeoutMs(bus.timeout, source.profile.modbus?.responseTimeout) };
      let link = links.get(bus.id);
      if (!link) {
        link = open(busWithTimeout);
        links.set(bus.id, link);
      }
      let answer;
      const image = new RegisterImage();
      try {
        for (const dependency of dependenciesOf(point, points)) {
          const extra = await link.ask(source.config.unit, dependency.function, dependency.address, dependency.width);
          if (extra.kind === 'data') image.setWords(dependency.function as 3 | 4, dependency.address, extra.words);
        }
        answer = await link.ask(source.config.unit, point.function, point.address, point.width);
      } catch (error) {
        if (!(error instanceof LinkError)) throw error;
        results.push({ status: 'fail', title, detail: text(`总线 ${bus.id} 无法打开：${error.message}`, `bus ${bus.id} cannot be opened: ${error.message}`) });
        continue;
      }
      const where = `unit ${source.config.unit} FC0${point.function} 0x${point.address.toString(16).padStart(4, '0')}`;
      switch (answer.kind) {
        case 'data': {
          if (point.function === 1 || point.function === 2) image.setBits(point.function, point.address, answer.words.map(Boolean));
          else image.setWords(point.function as 3 | 4, point.address, answer.words);
          const result = decodeAll(points, image.valuesFor(points)).get(point.id) ?? { kind: 'error' as const, message: 'no value in the answer' };
          const rawText = `raw ${answer.words.map((w) => w.toString(16).padStart(4, '0')).join(' ')}`;
          const judged = judgePoint(point, result);
          if (judged.ok) {
            results.push({ status: 'pass', title, detail: text(`已应答：${point.id} = ${judged.zh}（${where}）`, `answered: ${point.id} = ${judged.en} (${where})`) });
          } else {
            results.push({
              status: 'fail',
              title,
              detail: text(
                `已应答但读数不可信：${point.id} = ${judged.zh}（${where}，${rawText}）—— 用 lastmile probe --profile ${source.profile.id} 对照`,
                `answered, but the reading cannot be trusted: ${point.id} = ${judged.en} (${where}, ${rawText}) — compare with lastmile probe --profile ${source.profile.id}`,
              ),
            });
          }
          break;
        }
        case 'exception':
          results.push({ status: 'fail', title, detail: text(`设备在但拒绝请求：${exceptionText(answer.code)}（${where}）—— 型号/变体或地址不对？用 lastmile probe 对照`, `device is there but refused: ${exceptionText(answer.code)} (${where}) — wrong model/variant or address? compare with lastmile probe`) });
          break;
        case 'silent':
          results.push({ status: 'fail', title, detail: text(`无应答（${where}）：检查地址、波特率/校验位、A/B 接线，可用 lastmile scan`, `no answer (${where}): check unit id, baud/parity, A/B wiring; try lastmile scan`) });
          break;
        case 'garbled':
          results.push({ status: 'fail', title, detail: text(`应答乱码（${where}）：波特率/校验位或 A/B 接线不对`, `garbled answer (${where}): baud/parity or A/B wiring is wrong`) });
          break;
      }
    }
  } finally {
    for (const link of links.values()) await link.close();
    await meterLines.close();
  }
  return results;
}
