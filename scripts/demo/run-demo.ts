// `npm start`: runs the demo compound until Ctrl-C (or for --for <duration>), printing live values,
// the siren and strobe, and the alarms as the storyline raises and clears them.
import { waitForSignal } from '../../gateway/cli/run.js';
import { createLogger } from '../../contract/logger.js';
import { parseDuration } from '../../gateway/shared/units.js';
import { startDemoCompound } from './demo-compound.js';
import { LiveView } from './live-view.js';

const SIREN_LINE = 27;
const STROBE_LINE = 22;

const forIndex = process.argv.indexOf('--for');
const runFor = forIndex > 0 ? parseDuration(process.argv[forIndex + 1] ?? '') : undefined;
const say = (text: string) => console.log(`\n>>> ${text}`);

const log = createLogger({ pretty: true, level: process.env.LASTMILE_LOG_LEVEL ?? 'warn' });
console.log('lastmile 演示小区 / demo compound: 红旗巷12号院 Hongqi Lane 12 — 模拟设备 simulated devices on 127.0.0.1. Ctrl-C 退出/quit.');
const demo = await startDemoCompound({ log, say });
const { console: consoleConfig, localBroker } = demo.site.config;
if (consoleConfig) {
  console.log(`安装调试台 / installer console: http://${consoleConfig.host}:${consoleConfig.port}/  密码/password: ${demo.passwords.console}`);
}
console.log(
  `街道综治中心 / township console: http://127.0.0.1:${demo.township.service.consolePort}/  用户/user: duty-officer  密码/password: ${demo.township.consolePassword}` +
    (demo.township.victoriaUrl ? `\n时序库 / time series: VictoriaMetrics ${demo.township.victoriaUrl}` : '\n未安装 victoria-metrics：街道端只在内存中保留近期数据 / no victoria-metrics: the township keeps only a recent window in memory'),
);
if (localBroker) {
  console.log(`本地MQTT / local broker: mqtt://${localBroker.host}:${localBroker.port}  大堂显示屏/lobby display: display-lobby / ${demo.passwords['display-lobby']} (topic lastmile/notice/#)`);
  console.log(`Home Assistant MQTT: home-assistant / ${demo.passwords['home-assistant']} (discovery prefix homeassistant)`);
}

const onOff = (level: 0 | 1 | undefined) => (level === 1 ? '■ ON 响' : '□ off 静');
const view = new LiveView(
  demo.runtime.context.events,
  (text) => process.stdout.write(text),
  () => [`  警报器/siren: ${onOff(demo.gpio.outputLevel(SIREN_LINE))}    频闪灯/strobe: ${onOff(demo.gpio.outputLevel(STROBE_LINE))}`],
);
const timer = setInterval(() => view.print(), 5000);
setTimeout(() => view.print(), 1500);
const offAlarm = demo.runtime.context.events.on('alarm', (a) =>
  console.log(`>>> 告警/alarm ${a.transition} [${a.level}] ${a.source}${a.point ? `.${a.point}` : ''}: ${a.text.zh} / ${a.text.en}`),
);

await (runFor === undefined ? waitForSignal() : new Promise((resolve) => setTimeout(resolve, runFor)));
clearInterval(timer);
offAlarm();
view.print();
view.stop();
await demo.stop();
