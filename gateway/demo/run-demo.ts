// `npm start`: runs the demo compound until Ctrl-C (or for --for <duration>), printing live values.
import { waitForSignal } from '../cli/run.js';
import { createLogger } from '../shared/logger.js';
import { parseDuration } from '../shared/units.js';
import { startDemoCompound } from './demo-compound.js';
import { LiveView } from './live-view.js';

const forIndex = process.argv.indexOf('--for');
const runFor = forIndex > 0 ? parseDuration(process.argv[forIndex + 1] ?? '') : undefined;

const log = createLogger({ pretty: true, level: process.env.LASTMILE_LOG_LEVEL ?? 'warn' });
console.log('lastmile 演示小区 / demo compound: 红旗巷12号院 Hongqi Lane 12 — 模拟设备 simulated devices on 127.0.0.1. Ctrl-C 退出/quit.');
const demo = await startDemoCompound({ log });
const view = new LiveView(demo.runtime.context.events, (text) => process.stdout.write(text));
const timer = setInterval(() => view.print(), 5000);
setTimeout(() => view.print(), 1500);

await (runFor === undefined ? waitForSignal() : new Promise((resolve) => setTimeout(resolve, runFor)));
clearInterval(timer);
view.print();
view.stop();
await demo.stop();
