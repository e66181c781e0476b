// The township's own HTTP endpoints: a generic JSON webhook (its dispatch system, a voice call-out
// vendor) and an SMS gateway (the township's contract: URL, auth header from a file, a pre-approved
// template id, phone list). Any 2xx is success; the answer is logged, truncated.
import type { NotifyMessage } from './message.js';
import type { Answer, ChannelFormat, HttpRequest } from './robots.js';

const judge2xx = (status: number, body: string): Answer => ({ ok: status >= 200 && status < 300, answer: `HTTP ${status} ${body.slice(0, 200)}` });

/** POST {event, case, recipient, text} as JSON; optional Authorization header value from a file. */
export function webhook(url: string, authorization: string | undefined): ChannelFormat {
  return {
    build(message: NotifyMessage): HttpRequest {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (authorization) headers.authorization = authorization;
      const r = message.recipient;
      const body = { event: message.reason === 'raised' ? 'case.raised' : 'case.escalated', case: message.case, recipient: r ? { name: r.name, displayName: r.displayName, phone: r.phone ?? null } : null, text: message.text };
      return { url, headers, body: JSON.stringify(body) };
    },
    judge: judge2xx,
  };
}

/** POST {templateId, phones, params}; the recipient's phone (at raise: the officer on duty). */
export function sms(url: string, authorization: string, templateId: string): ChannelFormat {
  return {
    build(message: NotifyMessage): HttpRequest {
      const phones = message.recipient?.phone ? [message.recipient.phone] : [];
      const params = { level: message.level, reason: message.reason, text: message.case.text.zh, compound: message.case.compound, caseId: message.caseId };
      return { url, headers: { 'content-type': 'application/json', authorization }, body: JSON.stringify({ templateId, phones, params }) };
    },
    judge: judge2xx,
  };
}
