// The Node-RED side of bench:peer: installs node-red 4.1 + node-red-contrib-modbus 5.23.3 into a cached
// temp folder, generates a flow from the same read plan lastmile uses (planReads over the resolved
// profiles), and starts it with a settings.js that has no editor (httpAdminRoot: false) on 127.0.0.1.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResolvedPoint } from '../../gateway/devices/resolve.js';
import type { ReadRequest } from '../../gateway/drivers/modbus/plan.js';

export const NODE_RED_DIR = join(tmpdir(), 'lastmile-bench-node-red');
const PACKAGES = ['node-red@4.1', 'node-red-contrib-modbus@5.23.3'];

/** Installs once; a folder whose red.js and contrib-modbus are both present is reused. */
export function ensureNodeRed(say: (text: string) => void): string {
  const red = join(NODE_RED_DIR, 'node_modules/node-red/red.js');
  const modbus = join(NODE_RED_DIR, 'node_modules/node-red-contrib-modbus/package.json');
  if (existsSync(red) && existsSync(modbus)) return red;
  say(`installing ${PACKAGES.join(' ')} into ${NODE_RED_DIR}`);
  mkdirSync(NODE_RED_DIR, { recursive: true });
  execFileSync('npm', ['install', '--prefix', NODE_RED_DIR, '--no-audit', '--no-fund', ...PACKAGES], { stdio: ['ignore', 2, 2] });
  if (!existsSync(red) || !existsSync(modbus)) throw new Error(`node-red install in ${NODE_RED_DIR} is incomplete`);
  return red;
}

export interface PolledSource {
  readonly id: string;
  readonly unit: number;
  readonly points: readonly ResolvedPoint[];
  readonly requests: readonly ReadRequest[];
}

export interface FlowOptions {
  readonly sources: readonly PolledSource[];
  readonly modbusPort: number;
  readonly mqttPort: number;
  readonly pollMs: number;
  /** The threshold alarm: source, point, above, hysteresis (same numbers as the lastmile rule). */
  readonly alarm: { source: string; point: string; above: number; hysteresis: number };
  readonly alarmTopic: string;
  readonly telemetryTopic: string;
}

const DATA_TYPE: Record<number, string> = { 1: 'Coil', 2: 'Input', 3: 'HoldingRegister', 4: 'InputRegister' };

/** Decoder body for one read block: the same raw → value rules as gateway/pipeline/decoder.ts for these types. */
function decoderCode(source: PolledSource, request: ReadRequest, options: FlowOptions): string {
  const points = source.points
    .filter((p) => request.points.includes(p.id))
    .map((p) => ({ id: p.id, i: p.address - request.address, type: p.type, w: p.width, wo: p.wordOrder, scale: p.scale, offset: p.offset, bit: p.bit, bits: p.bits, dec: p.decimalsFrom, states: p.states, internal: p.internal }));
  const alarm = options.alarm.source === source.id && request.points.includes(options.alarm.point) ? options.alarm : undefined;
  return `
const P = ${JSON.stringify(points)};
const w = msg.payload; const v = {}; const ts = Date.now(); const fields = [];
const buf = Buffer.alloc(4);
for (const p of P) {
  let raw;
  if (typeof w[p.i] === 'boolean') raw = w[p.i] ? 1 : 0;
  else if (p.w === 2) { const hi = p.wo === 'big' ? w[p.i] : w[p.i + 1]; const lo = p.wo === 'big' ? w[p.i + 1] : w[p.i]; raw = hi * 65536 + lo; }
  else raw = w[p.i];
  let value;
  if (p.type === 'i16') value = raw >= 32768 ? raw - 65536 : raw;
  else if (p.type === 'i32') value = raw >= 2147483648 ? raw - 4294967296 : raw;
  else if (p.type === 'float32') { buf.writeUInt32BE(raw >>> 0); value = buf.readFloatBE(0); }
  else if (p.type === 'bit' && p.bit !== null && p.bit !== undefined) value = (raw >> p.bit) & 1;
  else if (p.type === 'bitfield' && p.bits) value = (raw >> p.bits.offset) & ((1 << p.bits.width) - 1);
  else value = raw;
  if (p.dec) value = value / Math.pow(10, v[p.dec] || 0);
  else if (p.type !== 'bit' && p.type !== 'bitfield') value = value * p.scale + p.offset;
  if (p.states) value = p.states[String(value)] ?? ('code_' + value);
  v[p.id] = value;
  if (p.internal) continue;
  fields.push(p.id + '=' + (typeof value === 'string' ? '"' + value + '"' : value));
}
const lines = fields.length > 0 ? ['lastmile,source=${source.id} ' + fields.join(',') + ' ' + ts] : [];
const out = [{ topic: '${options.telemetryTopic}', payload: lines.join('\\n') }, null];
${
  alarm
    ? `const level = v['${alarm.point}'];
const active = context.get('active') || false;
if (!active && level >= ${alarm.above}) { context.set('active', true); out[1] = { topic: '${options.alarmTopic}', payload: JSON.stringify({ source: '${alarm.source}', point: '${alarm.point}', rule: 'water_alarm', state: 'raised', value: level, ts }) }; }
else if (active && level < ${alarm.above - alarm.hysteresis}) { context.set('active', false); out[1] = { topic: '${options.alarmTopic}', payload: JSON.stringify({ source: '${alarm.source}', point: '${alarm.point}', rule: 'water_alarm', state: 'cleared', value: level, ts }) }; }`
    : ''
}
return out;`;
}

/** The flow: one modbus-read per planned request → a decoding function → mqtt out (telemetry and alarm). */
export function buildFlow(options: FlowOptions): object[] {
  const tab = { id: 'bench-tab', type: 'tab', label: 'lastmile bench:peer' };
  const client = {
    id: 'cfg-modbus-client', type: 'modbus-client', name: 'sim-bus', clienttype: 'tcp', bufferCommands: true, stateLogEnabled: false,
    queueLogEnabled: false, failureLogEnabled: false, tcpHost: '127.0.0.1', tcpPort: String(options.modbusPort), tcpType: 'DEFAULT',
    unit_id: 1, commandDelay: 1, clientTimeout: 500, reconnectOnTimeout: true, reconnectTimeout: 2000, parallelUnitIdsAllowed: false,
  };
  const broker = { id: 'cfg-mqtt-broker', type: 'mqtt-broker', name: 'sink', broker: '127.0.0.1', port: String(options.mqttPort), clientid: 'node-red-bench', autoConnect: true, usetls: false, protocolVersion: '4', keepalive: '60', cleansession: true };
  const mqttOut = { id: 'mqtt-out', type: 'mqtt out', z: tab.id, name: '', topic: '', qos: '0', retain: '', broker: broker.id, x: 700, y: 100, wires: [] };
  const alarmOut = { id: 'mqtt-alarm', type: 'mqtt out', z: tab.id, name: 'alarm', topic: '', qos: '1', retain: '', broker: broker.id, x: 700, y: 200, wires: [] };
  const nodes: object[] = [tab, client, broker, mqttOut, alarmOut];
  let y = 40;
  for (const source of options.sources) {
    source.requests.forEach((request, index) => {
      const id = `${source.id}-${index}`;
      nodes.push({
        id: `read-${id}`, type: 'modbus-read', z: tab.id, name: id, topic: '', showStatusActivities: false, logIOActivities: false, showErrors: false,
        showWarnings: false, unitid: String(source.unit), dataType: DATA_TYPE[request.function], adr: String(request.address), quantity: String(request.count),
        rate: String(options.pollMs), rateUnit: 'ms', delayOnStart: false, startDelayTime: '', server: client.id, useIOFile: false, ioFile: '',
        useIOForPayload: false, emptyMsgOnFail: false, x: 150, y, wires: [[`decode-${id}`], []],
      });
      nodes.push({ id: `decode-${id}`, type: 'function', z: tab.id, name: `decode ${id}`, func: decoderCode(source, request, options), outputs: 2, x: 400, y, wires: [[mqttOut.id], [alarmOut.id]] });
      y += 60;
    });
  }
  return nodes;
}

export interface NodeRedProcess {
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

export function startNodeRed(red: string, userDir: string, port: number, flow: object[]): NodeRedProcess {
  mkdirSync(userDir, { recursive: true });
  writeFileSync(join(userDir, 'flows.json'), JSON.stringify(flow, null, 1));
  writeFileSync(
    join(userDir, 'settings.js'),
    `module.exports = { uiHost: '127.0.0.1', uiPort: ${port}, flowFile: 'flows.json', httpAdminRoot: false, httpNodeRoot: false, credentialSecret: false,
  telemetry: { enabled: false }, diagnostics: { enabled: false }, logging: { console: { level: 'warn', metrics: false, audit: false } } };\n`,
  );
  const child = spawn(process.execPath, [red, '--userDir', userDir, '--settings', join(userDir, 'settings.js')], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`[node-red] ${chunk.toString()}`));
  return {
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
