// The group robots a township uses, each in its vendor's exact format (shared/reference/notifications.md):
// WeCom (企业微信) group robot, DingTalk custom robot with signed URL (加签), Feishu/Lark custom bot with
// signature check (签名校验). Each builds one HTTP request and judges the answer (HTTP 200 with a non-zero
// errcode/code is a failure). Keys and secrets come from files and are never part of what is logged.
import { createHmac } from 'node:crypto';
import type { NotifyMessage } from './message.js';

export interface HttpRequest {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface Answer {
  readonly ok: boolean;
  /** What the vendor said, for the notification log (never contains the key). */
  readonly answer: string;
  /** The vendor asked us to slow down (WeCom 130101): wait at least this long before the next send. */
  readonly backoffMs?: number;
}

export interface ChannelFormat {
  build(message: NotifyMessage, now: number): HttpRequest;
  judge(status: number, body: string): Answer;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

/** Cuts text to at most `bytes` UTF-8 bytes without splitting a character. */
export function truncateBytes(text: string, bytes: number): string {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= bytes) return text;
  let end = bytes;
  while (end > 0 && (buf[end]! & 0xc0) === 0x80) end--;
  return buf.subarray(0, end).toString('utf8');
}

function errcodeAnswer(status: number, body: string, field: 'errcode' | 'code'): { ok: boolean; code: unknown; answer: string } {
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(body) as Record<string, unknown>;
  } catch (_error) {
    return { ok: false, code: undefined, answer: `HTTP ${status}, not JSON: ${body.slice(0, 200)}` };
  }
  // Feishu's older hooks answer StatusCode/StatusMessage instead of code/msg.
  const code = parsed[field] ?? parsed.StatusCode;
  const text = parsed.errmsg ?? parsed.msg ?? parsed.StatusMessage ?? '';
  return { ok: status === 200 && code === 0, code, answer: `HTTP ${status} ${field} ${String(code)} ${String(text)}`.slice(0, 300) };
}

/** WeCom group robot: POST …/webhook/send?key=KEY, text with mentioned_mobile_list; ≤ 2048 bytes; 20/min. */
export function wecom(baseUrl: string, key: string): ChannelFormat {
  return {
    build(message) {
      const phone = message.recipient?.phone;
      const text: Record<string, unknown> = { content: truncateBytes(message.text, 2048) };
      if (phone) text.mentioned_mobile_list = [phone];
      return { url: `${baseUrl}?key=${encodeURIComponent(key)}`, headers: JSON_HEADERS, body: JSON.stringify({ msgtype: 'text', text }) };
    },
    judge(status, body) {
      const a = errcodeAnswer(status, body, 'errcode');
      // 130101 "send too fast": the robot is throttled for a while.
      return a.code === 130101 ? { ok: false, answer: a.answer, backoffMs: 60_000 } : { ok: a.ok, answer: a.answer };
    },
  };
}

/** DingTalk's 加签: base64(HMAC-SHA256(key = secret, message = timestamp + "\n" + secret)), URL-encoded. */
export function dingtalkSign(timestampMs: number, secret: string): string {
  return encodeURIComponent(createHmac('sha256', secret).update(`${timestampMs}\n${secret}`).digest('base64'));
}

/** DingTalk custom robot: POST …/robot/send?access_token=T&timestamp=ms&sign=S, text with at.atMobiles. */
export function dingtalk(baseUrl: string, token: string, secret: string | undefined): ChannelFormat {
  return {
    build(message, now) {
      const phone = message.recipient?.phone;
      const signed = secret ? `&timestamp=${now}&sign=${dingtalkSign(now, secret)}` : '';
      const body = { msgtype: 'text', text: { content: message.text }, at: { atMobiles: phone ? [phone] : [], isAtAll: false } };
      return { url: `${baseUrl}?access_token=${encodeURIComponent(token)}${signed}`, headers: JSON_HEADERS, body: JSON.stringify(body) };
    },
    judge: (status, body) => {
      const a = errcodeAnswer(status, body, 'errcode');
      return { ok: a.ok, answer: a.answer };
    },
  };
}

/** Feishu's 签名校验: base64(HMAC-SHA256(key = timestamp + "\n" + secret, message = empty)), timestamp in seconds. */
export function feishuSign(timestampS: number, secret: string): string {
  return createHmac('sha256', `${timestampS}\n${secret}`).update('').digest('base64');
}

/** Feishu/Lark custom bot: POST …/bot/v2/hook/ID with {timestamp, sign, msg_type: text, content: {text}}; ≤ 20 KB. */
export function feishu(baseUrl: string, hookId: string, secret: string | undefined): ChannelFormat {
  return {
    build(message, now) {
      const ts = Math.floor(now / 1000);
      const body: Record<string, unknown> = secret ? { timestamp: String(ts), sign: feishuSign(ts, secret) } : {};
      body.msg_type = 'text';
      body.content = { text: truncateBytes(message.text, 18_000) };
      return { url: `${baseUrl}/${encodeURIComponent(hookId)}`, headers: JSON_HEADERS, body: JSON.stringify(body) };
    },
    judge: (status, body) => {
      const a = errcodeAnswer(status, body, 'code');
      return { ok: a.ok, answer: a.answer };
    },
  };
}
