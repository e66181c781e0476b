// Doctor's source check: every enabled Modbus source is asked once for its first point, one bus at a
// time (an RS-485 line carries one transaction at a time), and the answer is decoded with its profile.
// Other drivers (MQTT, OPC UA, GPIO) push or are event-driven: the console shows their live state.
import type { LoadedSite } from '../../config/load-site.js';
import { decodePoint } from '../devices/decode.js';
import { resolveSources } from '../runtime.js';
import { text, sourceTimeoutMs, type CheckResult } from './doctor-checks.js';
import { exceptionText, isModbusBus, LinkError, openModbusLink, type ModbusLink } from './modbus-link.js';

export async function checkSources(loaded: LoadedSite, open: typeof openModbusLink = openModbusLink): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const links = new Map<string, ModbusLink>();
  try {
    for (const source of resolveSources(loaded)) {
      const id = source.config.id;
      const title = text(`数据源 ${id}（${source.profile.id}）`, `Source ${id} (${source.profile.id})`);
      const bus = source.bus;
      if (source.profile.driver !== 'modbus' || bus === undefined || !isModbusBus(bus) || source.config.unit === undefined) {
        results.push({ status: 'skip', title, detail: text(`${source.profile.driver} 数据源由设备主动上报，请在安装控制台查看`, `${source.profile.driver} sources report by themselves; see the installer console`) });
        continue;
      }
      const points = source.resolved.points;
      // A point that decodes on its own (no decimals or unit code from another register) reads best.
      const standalone = points.filter((p) => p.decimalsFrom === undefined && p.unitFrom === undefined);
      const point = standalone.find((p) => !p.internal && (p.function === 3 || p.function === 4)) ?? standalone.find((p) => !p.internal) ?? points[0]!;
      const busWithTimeout = { ...bus, timeout: `${sourceTimeoutMs(bus.timeout, source.profile.modbus?.responseTimeout)}ms` };
      let link = links.get(bus.id);
      if (!link) {
        link = open(busWithTimeout);
        links.set(bus.id, link);
      }
      let answer;
      try {
        answer = await link.ask(source.config.unit, point.function, point.address, point.width);
      } catch (error) {
        if (!(error instanceof LinkError)) throw error;
        results.push({ status: 'fail', title, detail: text(`总线 ${bus.id} 无法打开：${error.message}`, `bus ${bus.id} cannot be opened: ${error.message}`) });
        continue;
      }
      const where = `unit ${source.config.unit} FC0${point.function} 0x${point.address.toString(16).padStart(4, '0')}`;
      switch (answer.kind) {
        case 'data': {
          const raw = point.function === 1 || point.function === 2 ? { kind: 'bits' as const, bits: answer.words.map(Boolean) } : { kind: 'registers' as const, words: answer.words };
          const result = decodePoint(point, raw, () => undefined);
          const rawText = `raw ${answer.words.map((w) => w.toString(16).padStart(4, '0')).join(' ')}`;
          const shown = result.kind === 'value' ? `${String(result.value)}${result.unit ? ` ${result.unit}` : ''}` : result.kind === 'fault' ? result.code : rawText;
          results.push({ status: 'pass', title, detail: text(`已应答：${point.id} = ${shown}（${where}）`, `answered: ${point.id} = ${shown} (${where})`) });
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
  }
  return results;
}
