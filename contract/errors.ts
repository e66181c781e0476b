// The error catalog both sides use: every error a driver, the spool, the uplink, cloud-ingest or a config
// load reports has a stable code, a text for the person who must act (zh-CN first, en beside it) and a
// decision, so code and people react the same way to the same failure:
//   config     the configuration (or wiring) is wrong; retrying the same thing cannot help; an installer fixes it
//   retryable  the cause is transient (a dead device, a broker restart, a full disk); retry with back-off
//   fatal      this item can never succeed (a refused line, an unreadable record); it is dropped, counted, named
// docs/errors.md is this table (tests/contract/errors.test.ts keeps the two in step and checks that every
// code is used by product code). Codes are part of the contract: never reuse one for another meaning.

export type ErrorDecision = 'config' | 'retryable' | 'fatal';

export interface CatalogEntry {
  readonly decision: ErrorDecision;
  /** Which part reports it. */
  readonly by: 'driver' | 'spool' | 'uplink' | 'ingest' | 'config';
  readonly zh: string;
  readonly en: string;
}

export const ERROR_CATALOG = {
  CONFIG_INVALID: { decision: 'config', by: 'config', zh: '配置有误：按 文件:行:列 提示修改', en: 'The config is invalid: fix it at the file:line:column named' },

  SOURCE_TIMEOUT: { decision: 'retryable', by: 'driver', zh: '设备无应答：检查供电、接线、地址和波特率', en: 'The device did not answer: check power, wiring, address and baud rate' },
  SOURCE_EXCEPTION: { decision: 'config', by: 'driver', zh: '设备拒绝请求（异常码）：寄存器地址或功能码与设备不符', en: 'The device refused the request (exception code): the register address or function code does not match the device' },
  SOURCE_CRC: { decision: 'retryable', by: 'driver', zh: '校验错误：线路干扰、终端电阻或两台设备同一地址', en: 'Checksum mismatch: line noise, termination, or two devices at one address' },
  SOURCE_SHORT_FRAME: { decision: 'retryable', by: 'driver', zh: '应答不完整：波特率、校验位或超时设置', en: 'Incomplete answer: baud rate, parity or timeout' },
  SOURCE_CONNECTION: { decision: 'retryable', by: 'driver', zh: '连接断开：网络、串口或代理', en: 'Connection lost: network, serial port or broker' },
  SOURCE_DECODE: { decision: 'config', by: 'driver', zh: '数据无法按设备档案解析：档案或型号选错', en: 'The data does not decode with the device profile: wrong profile or variant' },

  SPOOL_WRITE_FAILED: { decision: 'retryable', by: 'spool', zh: '缓存写盘失败（磁盘满或损坏）：数据未确认，设备会重发', en: 'The spool could not write to disk (full or failing): nothing was acknowledged, devices resend' },
  SPOOL_RECORD_UNREADABLE: { decision: 'fatal', by: 'spool', zh: '缓存中有无法读取的记录：已跳过并计数', en: 'An unreadable record in the spool: skipped and counted' },

  UPLINK_NOT_AUTHORIZED: { decision: 'config', by: 'uplink', zh: '综治中心拒绝登录：网关编号或密码文件不对（lastmile-ingest provision）', en: 'The township refused the login: wrong gateway id or password file (lastmile-ingest provision)' },
  UPLINK_TLS: { decision: 'config', by: 'uplink', zh: 'TLS 证书校验失败：CA、证书或主机名不符', en: 'TLS verification failed: CA, certificate or host name mismatch' },
  UPLINK_SERVER_BUSY: { decision: 'retryable', by: 'uplink', zh: '综治中心繁忙，稍后重连', en: 'The township is busy; reconnecting after back-off' },
  UPLINK_CONNECTION: { decision: 'retryable', by: 'uplink', zh: '连不上综治中心：网络中断，数据留在缓存', en: 'Cannot reach the township: network down, data stays in the spool' },
  UPLINK_RECEIPT_TIMEOUT: { decision: 'retryable', by: 'uplink', zh: '综治中心未回执：按原编号重发', en: 'No receipt from the township: resent with the same ids' },
  UPLINK_REFUSED: { decision: 'fatal', by: 'uplink', zh: '综治中心永久拒收一条数据：不再重发', en: 'The township refused a message for good: not resent' },

  LINE_INVALID: { decision: 'fatal', by: 'ingest', zh: '数据行不合规：已拒收并计数（看原因和行号）', en: 'A line is invalid: refused and counted (see the reason and line number)' },
  BATCH_UNREADABLE: { decision: 'fatal', by: 'ingest', zh: '数据包无法解压或超出大小：已拒收', en: 'A batch cannot be decompressed or is too large: refused' },
  WRITE_REFUSED: { decision: 'fatal', by: 'ingest', zh: '数据库拒收这些行：只丢弃被拒的行，其余照常写入', en: 'The database refused these lines: only they are dropped, the rest are written' },
  WRITE_FAILED: { decision: 'retryable', by: 'ingest', zh: '数据库暂不可写：不回执，网关会重发', en: 'The database cannot be written now: no receipt, the gateway resends' },
  ADMISSION_SHED: { decision: 'retryable', by: 'ingest', zh: '接收已满：暂不回执，网关稍后重发', en: 'Ingest is full: no receipt yet, the gateway resends later' },
} as const satisfies Record<string, CatalogEntry>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

/** An error with its catalog code; `decision` tells the caller whether to retry, fix the config or drop the item. */
export class LastmileError extends Error {
  readonly decision: ErrorDecision;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LastmileError';
    this.decision = ERROR_CATALOG[code].decision;
  }
}

/** The code of an error if it carries one from the catalog. */
export function errorCodeOf(error: unknown): ErrorCode | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && Object.hasOwn(ERROR_CATALOG, code) ? (code as ErrorCode) : undefined;
}

/** docs/errors.md's table, from the catalog. */
export function renderErrorTable(): string {
  const rows = Object.entries(ERROR_CATALOG).map(([code, e]) => `| \`${code}\` | ${e.by} | ${e.decision} | ${e.zh} | ${e.en} |`);
  return ['| code | reported by | decision | 说明 | meaning |', '|---|---|---|---|---|', ...rows].join('\n') + '\n';
}
