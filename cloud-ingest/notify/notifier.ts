// Sends notifications through the township's channels: one queue per channel, sent in order and paced
// to the vendor's rate limit (WeCom and DingTalk: 20 a minute), retried with exponential back-off, and
// every attempt logged in the notifications table with the channel's answer. Timing comes from the
// injectable clock: tick() sends what is due (the service calls it every second; tests advance a fake clock).
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../contract/logger.js';
import type { Stats } from '../../contract/stats.js';
import type { WallClock } from '../alarms/types.js';
import type { Db } from '../db/db.js';
import type { NotifyMessage } from './message.js';
import type { ChannelFormat } from './robots.js';

export interface Channel {
  readonly name: string;
  readonly type: string;
  readonly format: ChannelFormat;
  /** Least time between two sends on this channel (vendor rate limit). */
  readonly minIntervalMs: number;
  /** SMS: nothing to send without a phone number. */
  readonly needsPhone: boolean;
}

export interface RetryPolicy {
  readonly attempts: number;
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
  readonly timeoutMs: number;
}

interface Job {
  readonly id: string;
  readonly message: NotifyMessage;
  attempt: number;
  notBefore: number;
}

interface Lane {
  readonly channel: Channel;
  readonly jobs: Job[];
  /** The job being sent (it counts as pending until its attempt is logged and it is done or re-queued). */
  current: Job | undefined;
  nextSendAt: number;
  busy: boolean;
}

export interface NotificationRecord {
  readonly id: string;
  readonly caseId: string;
  readonly channel: string;
  readonly reason: string;
  readonly recipient: string | undefined;
  readonly attempt: number;
  readonly status: 'sent' | 'failed' | 'gave_up' | 'skipped';
  readonly answer: string;
  readonly at: number;
}

export class Notifier {
  private readonly lanes = new Map<string, Lane>();

  constructor(
    channels: readonly Channel[],
    private readonly retry: RetryPolicy,
    private readonly db: Db,
    private readonly clock: WallClock,
    private readonly log: Logger,
    private readonly stats: Stats,
  ) {
    for (const channel of channels) this.lanes.set(channel.name, { channel, jobs: [], current: undefined, nextSendAt: 0, busy: false });
  }

  get channelNames(): string[] {
    return [...this.lanes.keys()];
  }

  /** Queues the message on each named channel, in order, and starts sending what is due. */
  send(message: NotifyMessage, channels: readonly string[]): Promise<void> {
    for (const name of channels) {
      const lane = this.lanes.get(name);
      if (!lane) {
        // Config validation names unknown channels; this guards routes built at run time.
        this.stats.inc('notify.unknown_channel', { channel: name });
        this.log.warn({ channel: name, caseId: message.caseId }, 'notification route names an unknown channel');
        continue;
      }
      lane.jobs.push({ id: randomUUID(), message, attempt: 0, notBefore: 0 });
    }
    return this.tick();
  }

  /** Sends every job that is due now (lanes in parallel, each lane in order). */
  async tick(): Promise<void> {
    await Promise.all([...this.lanes.values()].map((lane) => this.drain(lane)));
  }

  /** Jobs not yet sent or given up (queued or being sent), for tests and the shutdown log. */
  pending(): number {
    return [...this.lanes.values()].reduce((n, l) => n + l.jobs.length + (l.current ? 1 : 0), 0);
  }

  async history(caseId: string): Promise<NotificationRecord[]> {
    const rows = await this.db.all<{ id: string; case_id: string; channel: string; reason: string; recipient: string | null; attempt: number; status: NotificationRecord['status']; answer: string; at: number }>(
      'SELECT * FROM notifications WHERE case_id = ? ORDER BY at, attempt, channel',
      [caseId],
    );
    return rows.map((r) => ({ id: r.id, caseId: r.case_id, channel: r.channel, reason: r.reason, recipient: r.recipient ?? undefined, attempt: r.attempt, status: r.status, answer: r.answer, at: r.at }));
  }

  private async drain(lane: Lane): Promise<void> {
    if (lane.busy) return;
    lane.busy = true;
    try {
      for (;;) {
        const job = lane.jobs[0];
        const now = this.clock.now();
        if (!job || job.notBefore > now || lane.nextSendAt > now) return;
        lane.jobs.shift();
        lane.current = job;
        try {
          await this.attempt(lane, job);
        } finally {
          lane.current = undefined;
        }
      }
    } finally {
      lane.busy = false;
    }
  }

  private async attempt(lane: Lane, job: Job): Promise<void> {
    const { channel } = lane;
    const { message } = job;
    job.attempt++;
    if (channel.needsPhone && !message.recipient?.phone) {
      await this.record(job, channel, 'skipped', 'no phone number for the recipient');
      return;
    }
    const now = this.clock.now();
    lane.nextSendAt = now + channel.minIntervalMs;
    let answer: { ok: boolean; answer: string; backoffMs?: number };
    try {
      const request = channel.format.build(message, now);
      const response = await fetch(request.url, { method: 'POST', headers: request.headers, body: request.body, signal: AbortSignal.timeout(this.retry.timeoutMs) });
      answer = channel.format.judge(response.status, await response.text());
    } catch (error) {
      // Network errors can carry the URL (and with it a robot key): log the error's name and code only.
      const e = error as Error & { cause?: { code?: string } };
      answer = { ok: false, answer: `request failed: ${e.name}${e.cause?.code ? ` ${e.cause.code}` : ''}` };
    }
    if (answer.ok) {
      this.stats.inc('notify.sent', { channel: channel.name });
      await this.record(job, channel, 'sent', answer.answer);
      return;
    }
    this.stats.inc('notify.failed', { channel: channel.name });
    if (job.attempt >= this.retry.attempts) {
      await this.record(job, channel, 'gave_up', answer.answer);
      this.log.error({ channel: channel.name, caseId: message.caseId, attempts: job.attempt, answer: answer.answer }, 'notification given up after its retries');
      return;
    }
    await this.record(job, channel, 'failed', answer.answer);
    const delay = Math.min(this.retry.maxDelayMs, this.retry.firstDelayMs * 2 ** (job.attempt - 1), Number.MAX_SAFE_INTEGER);
    job.notBefore = this.clock.now() + Math.max(delay, answer.backoffMs ?? 0);
    if (answer.backoffMs) lane.nextSendAt = Math.max(lane.nextSendAt, this.clock.now() + answer.backoffMs);
    // A retry goes back to the front: the lane keeps its order.
    lane.jobs.unshift(job);
  }

  private async record(job: Job, channel: Channel, status: NotificationRecord['status'], answer: string): Promise<void> {
    const { message } = job;
    await this.db.run('INSERT INTO notifications (id, case_id, channel, reason, recipient, attempt, status, answer, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', [
      `${job.id}.${job.attempt}`,
      message.caseId,
      channel.name,
      message.reason,
      message.recipient?.name ?? null,
      job.attempt,
      status,
      answer,
      this.clock.now(),
    ]);
    this.log.info({ channel: channel.name, type: channel.type, caseId: message.caseId, reason: message.reason, recipient: message.recipient?.name, attempt: job.attempt, status, answer }, 'notification');
  }
}
