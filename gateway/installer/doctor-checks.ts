// The checks behind `lastmile doctor`: each returns pass, fail, unknown (could not tell) or skip (not
// configured), with a title and a detail in zh-CN and en. Only "fail" makes doctor exit 1.
import { constants, existsSync, statfsSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { LoadedSite } from '../../config/load-site.js';
import type { LocalText } from '../pipeline/types.js';
import type { NtpProbe } from '../time/time-sync.js';

export type CheckStatus = 'pass' | 'fail' | 'unknown' | 'skip';

export interface CheckResult {
  readonly status: CheckStatus;
  readonly title: LocalText;
  readonly detail: LocalText;
}

export function text(zh: string, en: string): LocalText {
  return { zh, en };
}

export async function checkSerialPorts(site: LoadedSite['config']): Promise<CheckResult[]> {
  const ports = site.buses
    .map((b) => ({ bus: b.id, port: b.type === 'rtu' || b.type === 'serial-node' || b.type === 'dlt645' ? b.port : undefined }))
    .filter((b): b is { bus: string; port: string } => b.port !== undefined);
  if (ports.length === 0) return [{ status: 'skip', title: text('串口', 'Serial ports'), detail: text('配置中没有串口总线', 'no serial bus in the config') }];
  return Promise.all(
    ports.map(async ({ bus, port }): Promise<CheckResult> => {
      const title = text(`串口 ${port}（总线 ${bus}）`, `Serial port ${port} (bus ${bus})`);
      if (!existsSync(port)) {
        return { status: 'fail', title, detail: text('设备不存在：检查 USB 转 485 是否插好、ls /dev/ttyUSB* /dev/ttyAMA*', 'no such device: check the USB-RS485 adapter is plugged in; ls /dev/ttyUSB* /dev/ttyAMA*') };
      }
      try {
        await access(port, constants.R_OK | constants.W_OK);
        return { status: 'pass', title, detail: text('存在且可读写', 'exists, readable and writable') };
      } catch {
        return { status: 'fail', title, detail: text('无读写权限：把服务用户加入 dialout 组', 'no read/write permission: add the service user to the dialout group') };
      }
    }),
  );
}

export async function checkClock(probe: NtpProbe): Promise<CheckResult> {
  const title = text('时钟同步（NTP）', 'Clock synchronised (NTP)');
  switch (await probe()) {
    case 'yes':
      return { status: 'pass', title, detail: text('timedatectl：已同步', 'timedatectl: synchronised') };
    case 'no':
      return { status: 'fail', title, detail: text('未同步：检查网络和 NTP 服务器（timedatectl timesync-status）；未同步前数据带不可信时间', 'not synchronised: check the network and NTP server (timedatectl timesync-status); data is stamped as untrusted time until then') };
    case 'unavailable':
      return { status: 'unknown', title, detail: text('无法判断：没有 timedatectl（不是 systemd 系统？）', 'unknown: timedatectl is not available (no systemd here?)') };
  }
}

/** In the units the config is written in (parseSize: 1 MB = 1024² bytes), so 64MB prints as 64 MB, not 67. */
export function formatBytes(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${Number((bytes / 1024 ** 3).toFixed(1))} GB` : `${Number((bytes / 1024 ** 2).toFixed(1))} MB`;
}

/** The spool dir, or the nearest existing parent it would be created in: free space and write access. */
export async function checkSpool(site: LoadedSite['config'], maxBytes: number): Promise<CheckResult> {
  const title = text(`缓存目录 ${site.spool.dir}`, `Spool dir ${site.spool.dir}`);
  let dir = site.spool.dir;
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  const created = dir === site.spool.dir ? '' : ` (${dir})`;
  try {
    await access(dir, constants.W_OK);
  } catch {
    return { status: 'fail', title, detail: text(`不可写${created}：检查目录属主（install.sh 会创建）`, `not writable${created}: check the owner (install.sh creates it)`) };
  }
  const stat = statfsSync(dir);
  const free = stat.bavail * stat.bsize;
  if (free < maxBytes) {
    return { status: 'fail', title, detail: text(`剩余 ${formatBytes(free)}，小于 spool.maxBytes ${formatBytes(maxBytes)}`, `${formatBytes(free)} free, less than spool.maxBytes ${formatBytes(maxBytes)}`) };
  }
  return { status: 'pass', title, detail: text(`剩余 ${formatBytes(free)}，上限 ${formatBytes(maxBytes)}${created ? '，目录将在启动时创建' : ''}`, `${formatBytes(free)} free for at most ${formatBytes(maxBytes)}${created ? '; created at start' : ''}`) };
}

export function sourceTimeoutMs(busTimeoutMs: number, profileTimeoutMs: number | undefined): number {
  return Math.max(busTimeoutMs, profileTimeoutMs ?? 0);
}
