// Command line for the node simulator: one simulated smoke node on a serial port (or one end of a socat
// pty pair), for the demo and for installers checking a gateway's serial-node bus without hardware.
//   tsx firmware-bridge/simulate.ts --port /dev/pts/4 --node 7 [--heartbeat 10s] [--data-every 5s] [--smoke-every 0]
// Node points: data.0 = obscuration (u16, 0.01 %/m), data.1 = temperature (i16, 0.1 °C); smoke events
// toggle every --smoke-every when it is not 0. Ctrl-C stops it.
import { parseArgs } from 'node:util';
import { SerialPort } from 'serialport';
import { parseDuration } from '../gateway/shared/units.js';
import { NodeSimulator } from './node-simulator.js';

function duration(text: string, flag: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new Error(`--${flag} "${text}" is not a duration such as 500ms, 5s or 1m`);
  return ms;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      baud: { type: 'string', default: '115200' },
      node: { type: 'string', default: '1' },
      heartbeat: { type: 'string', default: '10s' },
      'data-every': { type: 'string', default: '5s' },
      'smoke-every': { type: 'string', default: '0s' },
    },
  });
  if (values.port === undefined) throw new Error('--port is required (a serial device or one end of a socat pty pair)');
  const nodeId = Number(values.node);
  const port = new SerialPort({ path: values.port, baudRate: Number(values.baud), autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(new Error(`cannot open ${values.port}: ${error.message}`)) : resolve())));

  let obscuration = 20;
  let temperature = 215;
  const sim = new NodeSimulator(port, {
    nodeId,
    heartbeatMs: duration(values.heartbeat, 'heartbeat'),
    dataEveryMs: duration(values['data-every'], 'data-every'),
    model: 'lastmile-sim-smoke',
    batteryMv: 3000,
    readPoints: () => {
      obscuration = Math.max(0, obscuration + Math.round((Math.random() - 0.5) * 4));
      temperature += Math.round((Math.random() - 0.5) * 4);
      return [
        { index: 0, type: 'u16', value: obscuration },
        { index: 1, type: 'i16', value: temperature },
      ];
    },
  });
  sim.start();
  await sim.ready(60_000);
  console.log(JSON.stringify({ node: nodeId, port: values.port, state: sim.state, heartbeatMs: sim.agreedHeartbeatMs }));

  const smokeEvery = duration(values['smoke-every'], 'smoke-every');
  let smoke = false;
  const toggler = smokeEvery > 0 ? setInterval(() => void sim.sendEvent('smoke', (smoke = !smoke)), smokeEvery) : undefined;
  process.once('SIGINT', () => {
    if (toggler) clearInterval(toggler);
    sim.stop();
    port.close(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
