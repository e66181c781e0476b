// One HTTP write of line protocol to an InfluxDB v2 write endpoint (/api/v2/write, ms precision): the
// lines joined, gzip'd above 1,000 bytes when the target says so (config.ts gzipWrites), POSTed on a
// keep-alive connection through @influxdata/influxdb-client's transport. Not through its WriteApi: that
// added lines one by one to a buffer of its own, counting each line's UTF-8 bytes in a JavaScript loop
// over its characters, and allocated a new array of flushLines slots for every write: the largest
// JavaScript items of bench:ingest's profile at 5,000-measurement batches (issue 13). The writer owns
// batching, retries and acknowledgments; this does one request and says how it ended.
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { HttpError, InfluxDB, type Transport } from '@influxdata/influxdb-client';

/**
 * Bodies larger than this are gzip'd (the client's default threshold), by the transport at zlib's default
 * level. Level 1 cost less CPU on a drain's 2.6 MB bodies (bench:ingest, embedded: 518,000-531,000
 * measurements per worker CPU-s against 455,000-465,000) but the transport takes only a string body and
 * picks the level itself; a fleet's 40 KB bodies showed no difference, so the library's transport stays.
 */
const GZIP_ABOVE_BYTES = 1000;
/** Most of an error answer kept in the error's message (it reaches logs and receipts). */
const MAX_ANSWER_CHARS = 500;

/** The database answered with a status other than 2xx. */
export class HttpStatusError extends Error {
  constructor(
    readonly statusCode: number,
    answer: string,
  ) {
    super(`HTTP ${statusCode}${answer === '' ? '' : `: ${answer}`}`);
    this.name = 'HttpStatusError';
  }
}

export interface LineTarget {
  readonly url: string;
  readonly org: string;
  readonly bucket: string;
  readonly token: string | undefined;
  readonly timeoutMs: number;
  /** gzip bodies above GZIP_ABOVE_BYTES (a database over a network), or send them as they are (on this host). */
  readonly gzip: boolean;
}

/** Posts line protocol to one endpoint; reuses its connections. */
export class LinePoster {
  private readonly path: string;
  private readonly agent: HttpAgent;
  private readonly transport: Transport;
  private readonly gzipThreshold: number;

  constructor(target: LineTarget) {
    const query = new URLSearchParams({ org: target.org, bucket: target.bucket, precision: 'ms' });
    this.path = `/api/v2/write?${query.toString()}`;
    this.gzipThreshold = target.gzip ? GZIP_ABOVE_BYTES : Number.POSITIVE_INFINITY;
    this.agent = target.url.startsWith('https:') ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
    this.transport = new InfluxDB({ url: target.url.replace(/\/+$/, ''), token: target.token, timeout: target.timeoutMs, transportOptions: { agent: this.agent } }).transport;
  }

  /**
   * Posts a body of lines joined by newlines. Resolves once the database answered 2xx; rejects with
   * HttpStatusError for another answer, or the network error.
   */
  async post(body: string): Promise<void> {
    try {
      // A string body: the transport JSON-encodes anything else.
      await this.transport.request(this.path, body, { method: 'POST', headers: { 'content-type': 'text/plain; charset=utf-8' }, gzipThreshold: this.gzipThreshold });
    } catch (error) {
      if (error instanceof HttpError) throw new HttpStatusError(error.statusCode, (error.body ?? '').slice(0, MAX_ANSWER_CHARS).trim());
      throw error;
    }
  }

  close(): void {
    this.agent.destroy();
  }
}
