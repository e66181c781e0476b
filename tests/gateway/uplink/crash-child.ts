// Child process for the crash test: runs a spool and an uplink, appends numbered measurements (and every
// 25th number also as an alarm event) and prints "ack <lane> <n>" once the spool has fsync'd it.
// The test SIGKILLs this process at random moments and checks every printed number reached the broker.
// Usage: crash-child <spoolDir> <mqttUrl> <firstNumber> [drain]  (drain: append nothing, exit once all is acked)
import { encodeAlarmRecord } from '../../../gateway/spool/alarm-record.js';
import { Spool } from '../../../gateway/spool/spool.js';
import { encodeTelemetryRecord } from '../../../gateway/spool/telemetry-record.js';
import { silentLogger } from '../../../contract/logger.js';
import { Stats } from '../../../contract/stats.js';
import { HonestClock } from '../../../gateway/time/honest-clock.js';
import { Uplink } from '../../../gateway/uplink/uplink.js';
import type { AlarmEvent } from '../../../gateway/pipeline/types.js';

const [spoolDir, url, firstArg, mode] = process.argv.slice(2);
if (!spoolDir || !url || !firstArg) throw new Error('usage: crash-child.ts <spoolDir> <mqttUrl> <firstNumber>');
const GATEWAY = 'gw-crash';

const log = silentLogger();
const stats = new Stats();
const clock = new HonestClock({ synced: true });
const spool = new Spool({ dir: spoolDir, maxBytes: 64 * 1024 * 1024, maxAgeMs: 86_400_000, syncEveryMs: 20, segmentBytes: 32 * 1024 }, log, stats);
spool.open();
const uplink = new Uplink({
  connection: { url, gateway: GATEWAY, clientId: GATEWAY, username: GATEWAY, passwordFile: undefined, ca: undefined, cert: undefined, key: undefined, keepaliveMs: 10_000, reconnectMinMs: 50, reconnectMaxMs: 500 },
  spool,
  time: { clock, epoch: clock.epoch },
  batchMaxRecords: 100,
  batchMaxAgeMs: 30,
  maxInflight: 4,
  receiptTimeoutMs: 5_000,
  statusEveryMs: 60_000,
  sourceIds: [],
  log,
  stats,
  onCommand: () => undefined,
});
uplink.start();

function alarmEvent(n: number): AlarmEvent {
  return {
    eventId: `crash-${n}`, alarmId: `crash-${n}`, transition: 'raise', state: 'raised', level: 'warning', source: 'seq', point: 'n', rule: 'crash_test',
    value: n, text: { zh: '测试', en: 'test' }, tags: {}, ts: clock.now(), mono: clock.mono(), timeSynced: true, by: undefined,
  };
}

let n = Number(firstArg);
const write = (line: string) => process.stdout.write(line + '\n');
write('ready');
const stopAndExit = () => void uplink.stop().then(() => spool.close()).then(() => process.exit(0));

/** Appends at a steady pace, so kills land while data is being written, fsync'd and sent. */
function produce(): void {
  setInterval(() => {
    for (let i = 0; i < 20; i++) {
      const number = n++;
      const stamp = { ts: clock.now(), mono: clock.mono(), synced: true, epoch: clock.epoch };
      void spool.append('telemetry', encodeTelemetryRecord(`test,gateway=${GATEWAY},source=seq`, [`n=${number}`], stamp)).then(() => write(`ack telemetry ${number}`));
      if (number % 25 === 0) void spool.append('alarm', encodeAlarmRecord(alarmEvent(number), clock.epoch)).then(() => write(`ack alarm ${number}`));
    }
  }, 5);
}

/** Appends nothing; exits once both lanes are acknowledged to the end. */
function drain(): void {
  const timer = setInterval(() => {
    const done = (lane: 'alarm' | 'telemetry') => spool.lane(lane).acked() >= spool.lane(lane).durableEnd();
    if (!done('alarm') || !done('telemetry')) return;
    clearInterval(timer);
    write('drained');
    stopAndExit();
  }, 20);
}

if (mode === 'drain') drain();
else produce();
process.on('SIGTERM', stopAndExit);
