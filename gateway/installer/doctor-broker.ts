// Doctor's township-broker check: one MQTT connection with the uplink's own credentials and TLS files,
// under a separate client id and a clean session, so the running gateway's persistent session is never
// taken over. The CONNACK return code (or socket error) is explained in words an installer can act on.
import { readFileSync } from 'node:fs';
import { connect, type IClientOptions } from 'mqtt';
import type { SiteConfig } from '../../config/site.js';
import { text, type CheckResult } from './doctor-checks.js';

const CONNACK: Record<number, [string, string]> = {
  1: ['协议版本不被接受', 'unacceptable protocol version'],
  2: ['客户端 ID 被拒绝（平台可能要求固定的 ID）', 'client id rejected (the broker may pin client ids)'],
  3: ['服务器不可用', 'server unavailable'],
  4: ['用户名或密码错误：检查 uplink.passwordFile', 'bad username or password: check uplink.passwordFile'],
  5: ['未授权：该网关账号未在街道综治中心开通', 'not authorised: this gateway account is not enabled at the township'],
};

function readFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new Error(`uplink.${what}: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
  }
}

export async function checkBroker(site: SiteConfig, timeoutMs = 5000): Promise<CheckResult> {
  const uplink = site.uplink;
  if (!uplink) return { status: 'skip', title: text('街道综治中心连接', 'Township broker'), detail: text('未配置 uplink：数据只留在本地缓存', 'no uplink configured: data stays in the spool') };
  const title = text(`街道综治中心 ${uplink.url}`, `Township broker ${uplink.url}`);
  let options: IClientOptions;
  try {
    options = {
      clientId: `${uplink.clientId ?? site.gateway.id}-doctor`,
      username: uplink.username ?? site.gateway.id,
      password: uplink.passwordFile ? readFile(uplink.passwordFile, 'passwordFile').toString('utf8').trim() : undefined,
      ca: uplink.ca ? readFile(uplink.ca, 'ca') : undefined,
      cert: uplink.cert ? readFile(uplink.cert, 'cert') : undefined,
      key: uplink.key ? readFile(uplink.key, 'key') : undefined,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: timeoutMs,
      protocolVersion: 4,
      rejectUnauthorized: true,
    };
  } catch (error) {
    return { status: 'fail', title, detail: text(`读取凭据失败：${(error as Error).message}`, (error as Error).message) };
  }
  const outcome = await new Promise<{ ok: true } | { ok: false; code: number | string | undefined; message: string }>((resolve) => {
    const client = connect(uplink.url, options);
    const timer = setTimeout(() => finish({ ok: false, code: 'timeout', message: `no CONNACK within ${timeoutMs} ms` }), timeoutMs + 500);
    let done = false;
    function finish(result: Parameters<typeof resolve>[0]) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      client.end(true);
      resolve(result);
    }
    client.once('connect', () => finish({ ok: true }));
    client.once('error', (error: Error & { code?: number | string }) => finish({ ok: false, code: error.code, message: error.message }));
    client.once('close', () => finish({ ok: false, code: undefined, message: 'connection closed before CONNACK' }));
  });
  if (outcome.ok) return { status: 'pass', title, detail: text('已连接，账号有效', 'connected; credentials accepted') };
  if (typeof outcome.code === 'number' && CONNACK[outcome.code]) {
    const [zh, en] = CONNACK[outcome.code]!;
    return { status: 'fail', title, detail: text(`CONNACK ${outcome.code}：${zh}`, `CONNACK ${outcome.code}: ${en}`) };
  }
  if (outcome.code === 'ECONNREFUSED') return { status: 'fail', title, detail: text('连接被拒绝：平台未运行或端口/防火墙不对', 'connection refused: broker not running, or wrong port/firewall') };
  if (outcome.code === 'ENOTFOUND' || outcome.code === 'EAI_AGAIN') return { status: 'fail', title, detail: text('域名解析失败：检查 DNS 和网络', 'host name not found: check DNS and the network') };
  if (outcome.code === 'timeout') return { status: 'fail', title, detail: text(`超时无应答：检查网络/4G 和防火墙（${outcome.message}）`, `no answer: check the network/4G link and firewall (${outcome.message})`) };
  return { status: 'fail', title, detail: text(`连接失败：${outcome.message}`, `cannot connect: ${outcome.message}`) };
}
