// Doctor's check of GB/T 26875 sources (fire-panel transmission devices). The device is the TCP client,
// so doctor cannot ask it anything: it checks that the listener address can be bound and, when the
// gateway is not running (the port is free), listens for up to waitMs for the device to connect and send
// a packet, and names its address. It never confirms: a confirmed fire event would count as delivered
// and never reach the gateway, so the device keeps (and later resends) whatever it sent to doctor.
import { createServer, type Server, type Socket } from 'node:net';
import type { LoadedSite } from '../../config/load-site.js';
import { PacketDecoder } from '../drivers/gbt26875/codec/decoder.js';
import { commandName, formatFrameTime, type Frame } from '../drivers/gbt26875/codec/frame.js';
import { text, type CheckResult } from './doctor-checks.js';

type Heard = { kind: 'packet'; frame: Frame; remote: string } | { kind: 'connected_silent'; remote: string } | { kind: 'nothing' };

function bind(host: string, port: number): Promise<{ server: Server } | { error: NodeJS.ErrnoException }> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve({ error }));
    server.listen(port, host, () => resolve({ server }));
  });
}

/** Waits for the first sound packet on any connection, or the deadline; then cuts every connection it accepted. */
function listenForPacket(server: Server, waitMs: number): Promise<Heard> {
  const sockets = new Set<Socket>();
  return new Promise<Heard>((resolve) => {
    let remote: string | undefined;
    const timer = setTimeout(() => resolve(remote === undefined ? { kind: 'nothing' } : { kind: 'connected_silent', remote }), waitMs);
    server.on('connection', (socket) => {
      sockets.add(socket);
      remote = socket.remoteAddress ?? '?';
      const from = remote;
      socket.on('error', () => undefined);
      const decoder = new PacketDecoder((event) => {
        if (event.kind !== 'frame') return;
        clearTimeout(timer);
        resolve({ kind: 'packet', frame: event.frame, remote: from });
      });
      socket.on('data', (chunk: Buffer) => decoder.push(chunk));
    });
  }).finally(() => {
    // The device reconnects to the gateway later.
    for (const socket of sockets) socket.destroy();
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

export async function checkGbt26875Sources(loaded: LoadedSite, options: { waitMs?: number } = {}): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const source of loaded.config.sources) {
    const config = source.gbt26875;
    if (!source.enabled || config === undefined) continue;
    const { host, port } = config.listen;
    const title = text(`消防传输装置 ${source.id}（监听 ${host}:${port}）`, `Fire panel transmission device ${source.id} (listening on ${host}:${port})`);
    const bound = await bind(host, port);
    if ('error' in bound) {
      const { code, message } = bound.error;
      if (code === 'EADDRINUSE') {
        results.push({ status: 'unknown', title, detail: text(`端口已被占用：网关在运行吗？（运行中请在安装控制台查看该数据源是否在线）`, `port in use: is the gateway running? (then see whether the source is online on the installer console)`) });
      } else if (code === 'EADDRNOTAVAIL') {
        results.push({ status: 'fail', title, detail: text(`${host} 不是本机地址：gbt26875.listen.host 应为本机局域网地址或 0.0.0.0`, `${host} is not an address of this box: gbt26875.listen.host must be its LAN address or 0.0.0.0`) });
      } else {
        results.push({ status: 'fail', title, detail: text(`无法监听：${message}`, `cannot listen: ${message}`) });
      }
      continue;
    }
    const loopback = host === '127.0.0.1' || host === 'localhost' || host === '::1';
    const heard = await listenForPacket(bound.server, options.waitMs ?? 10_000);
    await close(bound.server);
    const seconds = Math.round((options.waitMs ?? 10_000) / 1000);
    switch (heard.kind) {
      case 'nothing':
        results.push({
          status: 'fail',
          title,
          detail: loopback
            ? text(`${seconds} 秒内无设备连接；监听在本机回环地址，局域网上的传输装置连不上：把 listen.host 改为网关局域网地址`, `no device connected within ${seconds} s; the listener is on loopback, which a device on the LAN cannot reach: set listen.host to the gateway's LAN address`)
            : text(`${seconds} 秒内无设备连接：检查传输装置的中心地址/端口设置（应为 ${host}:${port}）和网线`, `no device connected within ${seconds} s: check the device's centre address/port (should be ${host}:${port}) and the cable`),
        });
        break;
      case 'connected_silent':
        results.push({ status: 'fail', title, detail: text(`${heard.remote} 已连接但 ${seconds} 秒内没有可识别的报文：不是 GB/T 26875.3 设备，或协议/加密设置不对`, `${heard.remote} connected but sent no valid packet within ${seconds} s: not a GB/T 26875.3 device, or its protocol/encryption setting is wrong`) });
        break;
      case 'packet': {
        const { control } = heard.frame;
        const wanted = config.address;
        const what = `${heard.remote}，地址 ${control.source}，命令 ${commandName(control.command) ?? control.command}，设备时间 ${formatFrameTime(control.time)}`;
        const whatEn = `${heard.remote}, address ${control.source}, command ${commandName(control.command) ?? control.command}, device time ${formatFrameTime(control.time)}`;
        if (wanted !== undefined && wanted !== control.source) {
          results.push({ status: 'fail', title, detail: text(`收到报文（${what}），但配置的设备地址是 ${wanted}：改 gbt26875.address`, `heard a packet (${whatEn}), but the configured device address is ${wanted}: fix gbt26875.address`) });
        } else {
          results.push({ status: 'pass', title, detail: text(`设备已连接并发送报文（${what}）；诊断未确认该报文，设备会重发给网关`, `device connected and sent a packet (${whatEn}); doctor did not confirm it, the device resends it to the gateway`) });
        }
        break;
      }
    }
  }
  return results;
}
