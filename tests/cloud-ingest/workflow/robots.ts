// Stand-ins for the notification vendors on 127.0.0.1, each checking its API's exact request format
// (shared/reference/notifications.md) and answering as the vendor does: WeCom group robot, DingTalk
// signed robot (the signature is recomputed here independently), Feishu signed bot, a generic webhook
// and an SMS gateway. Every request is recorded, with what was wrong with it if anything.
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';

export const SECRETS = {
  wecomKey: 'wecom-key-6f1d3a',
  dingToken: 'ding-token-77ab',
  dingSecret: 'SECd1ngs3cr3t',
  feishuHook: 'feishu-hook-9c2e',
  feishuSecret: 'feishu-s3cret',
  webhookAuth: 'Bearer hook-auth-51',
  smsAuth: 'Basic c21zOnBhc3M=',
} as const;

export interface RobotRequest {
  readonly channel: 'wecom' | 'dingtalk' | 'feishu' | 'webhook' | 'sms';
  readonly body: Record<string, unknown>;
  /** Empty when the request was exactly right. */
  readonly problems: string[];
}

export interface Robots {
  readonly base: string;
  readonly requests: RobotRequest[];
  /** Answers the next webhook request with HTTP 500 (a retry must follow). */
  failNextWebhook(): void;
  stop(): Promise<void>;
}

/** `now()` is the test's fake clock: signed timestamps must be within an hour of it. */
export async function startRobots(now: () => number): Promise<Robots> {
  const requests: RobotRequest[] = [];
  let failWebhook = false;
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString('utf8')));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const problems: string[] = [];
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch (_error) {
        problems.push('body is not JSON');
      }
      if (req.method !== 'POST') problems.push(`method ${req.method}`);
      if (req.headers['content-type'] !== 'application/json') problems.push(`content-type ${req.headers['content-type']}`);
      const answer = (status: number, json: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      const text = body.text as { content?: unknown; mentioned_list?: unknown; mentioned_mobile_list?: unknown } | undefined;
      if (url.pathname === '/cgi-bin/webhook/send') {
        if (url.searchParams.get('key') !== SECRETS.wecomKey) problems.push('wrong key');
        if (body.msgtype !== 'text' || typeof text?.content !== 'string') problems.push('not a text message');
        if (typeof text?.content === 'string' && Buffer.byteLength(text.content) > 2048) problems.push('text over 2048 bytes');
        requests.push({ channel: 'wecom', body, problems });
        return answer(200, problems.length ? { errcode: 40008, errmsg: problems.join('; ') } : { errcode: 0, errmsg: 'ok' });
      }
      if (url.pathname === '/robot/send') {
        const ts = Number(url.searchParams.get('timestamp'));
        const expected = createHmac('sha256', SECRETS.dingSecret).update(`${ts}\n${SECRETS.dingSecret}`).digest('base64');
        if (url.searchParams.get('access_token') !== SECRETS.dingToken) problems.push('wrong access_token');
        if (url.searchParams.get('sign') !== expected) problems.push('sign mismatch');
        if (!/[?&]sign=[A-Za-z0-9%]+(&|$)/.test(req.url ?? '')) problems.push('sign not URL-encoded');
        if (Math.abs(now() - ts) > 3600_000) problems.push('timestamp not within an hour (ms expected)');
        if (body.msgtype !== 'text' || typeof (body.text as { content?: unknown } | undefined)?.content !== 'string') problems.push('not a text message');
        const at = body.at as { atMobiles?: unknown; isAtAll?: unknown } | undefined;
        if (!Array.isArray(at?.atMobiles) || at.isAtAll !== false) problems.push('at.atMobiles / isAtAll missing');
        requests.push({ channel: 'dingtalk', body, problems });
        return answer(200, problems.length ? { errcode: 310000, errmsg: `sign not match: ${problems.join('; ')}` } : { errcode: 0, errmsg: 'ok' });
      }
      if (url.pathname === `/open-apis/bot/v2/hook/${SECRETS.feishuHook}`) {
        const ts = Number(body.timestamp);
        const expected = createHmac('sha256', `${ts}\n${SECRETS.feishuSecret}`).update('').digest('base64');
        if (typeof body.timestamp !== 'string') problems.push('timestamp must be a string');
        if (Math.abs(now() / 1000 - ts) > 3600) problems.push('timestamp not within an hour (seconds expected)');
        if (body.sign !== expected) problems.push('sign mismatch');
        if (body.msg_type !== 'text' || typeof (body.content as { text?: unknown } | undefined)?.text !== 'string') problems.push('not a text message');
        requests.push({ channel: 'feishu', body, problems });
        return answer(200, problems.length ? { code: 19021, msg: problems.join('; ') } : { code: 0, msg: 'success', data: {} });
      }
      if (url.pathname === '/hook') {
        if (req.headers.authorization !== SECRETS.webhookAuth) problems.push('wrong authorization');
        if (typeof body.event !== 'string' || typeof (body.case as { caseId?: unknown } | undefined)?.caseId !== 'string') problems.push('event or case.caseId missing');
        requests.push({ channel: 'webhook', body, problems });
        if (failWebhook) {
          failWebhook = false;
          return answer(500, { error: 'busy' });
        }
        return answer(problems.length ? 400 : 200, { ok: problems.length === 0 });
      }
      if (url.pathname === '/sms/send') {
        if (req.headers.authorization !== SECRETS.smsAuth) problems.push('wrong authorization');
        if (body.templateId !== 'SMS_ALARM_01') problems.push('wrong templateId');
        if (!Array.isArray(body.phones) || body.phones.length === 0) problems.push('no phones');
        requests.push({ channel: 'sms', body, problems });
        return answer(problems.length ? 400 : 200, { code: problems.length ? 1 : 0 });
      }
      answer(404, { error: `no route ${url.pathname}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    base: `http://127.0.0.1:${port}`,
    requests,
    failNextWebhook: () => {
      failWebhook = true;
    },
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
