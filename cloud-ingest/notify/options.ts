// Config of the notification channels (the `notify` section of cloud-ingest's config).
// Keys, tokens, secrets and auth headers are named as files (0600), read at start by channels.ts.
import { z } from 'zod';

const name = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and -');
const file = z.string().min(1);
const interval = (ms: number) => z.number().int().min(0).max(3_600_000).default(ms).describe('Least ms between two sends (the vendor rate limit)');

const wecomChannel = z.strictObject({
  name,
  type: z.literal('wecom').describe('企业微信 group robot'),
  url: z.string().url().default('https://qyapi.weixin.qq.com/cgi-bin/webhook/send'),
  keyFile: file.describe('File with the robot key (the key is the whole secret)'),
  minIntervalMs: interval(3000),
});
const dingtalkChannel = z.strictObject({
  name,
  type: z.literal('dingtalk').describe('钉钉 custom robot'),
  url: z.string().url().default('https://oapi.dingtalk.com/robot/send'),
  tokenFile: file.describe('File with the access_token'),
  secretFile: file.optional().describe('File with the 加签 secret (SEC...); the URL is signed when set'),
  minIntervalMs: interval(3000),
});
const feishuChannel = z.strictObject({
  name,
  type: z.literal('feishu').describe('飞书 custom bot'),
  url: z.string().url().default('https://open.feishu.cn/open-apis/bot/v2/hook'),
  hookFile: file.describe('File with the hook id (the last part of the hook URL)'),
  secretFile: file.optional().describe('File with the 签名校验 secret'),
  minIntervalMs: interval(1000),
});
const webhookChannel = z.strictObject({
  name,
  type: z.literal('webhook').describe('Generic JSON webhook (dispatch system, voice call-out vendor)'),
  url: z.string().url(),
  authorizationFile: file.optional().describe('File with the Authorization header value'),
  minIntervalMs: interval(0),
});
const smsChannel = z.strictObject({
  name,
  type: z.literal('sms').describe("SMS gateway over HTTP (the township's contract)"),
  url: z.string().url(),
  authorizationFile: file.describe('File with the Authorization header value'),
  templateId: z.string().min(1).describe('Pre-approved template (签名 + 模板)'),
  minIntervalMs: interval(1000),
});

export const channelOptions = z.discriminatedUnion('type', [wecomChannel, dingtalkChannel, feishuChannel, webhookChannel, smsChannel]);
export type ChannelOptions = z.infer<typeof channelOptions>;

export const notifySection = z
  .strictObject({
    channels: z.array(channelOptions).default([]),
    retry: z
      .strictObject({
        attempts: z.number().int().min(1).max(20).default(5),
        firstDelayMs: z.number().int().min(10).default(2000),
        maxDelayMs: z.number().int().min(10).default(120_000),
        timeoutMs: z.number().int().min(100).default(10_000),
      })
      .default({ attempts: 5, firstDelayMs: 2000, maxDelayMs: 120_000, timeoutMs: 10_000 }),
    consoleUrl: z.string().url().optional().describe('Board address put into every notification'),
  })
  .superRefine((n, ctx) => {
    const seen = new Set<string>();
    n.channels.forEach((c, i) => {
      if (seen.has(c.name)) ctx.addIssue({ code: 'custom', path: ['channels', i, 'name'], message: `channel name ${c.name} is used twice` });
      seen.add(c.name);
    });
  });
export type NotifyOptions = z.infer<typeof notifySection>;
