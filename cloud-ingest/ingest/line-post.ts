// One HTTP write of line protocol to an InfluxDB v2 write endpoint (/api/v2/write, ms precision): the
// batches' bodies joined by newlines, gzip'd above 1,000 bytes when the target says so (config.ts
// gzipWrites), POSTed with node:http on a keep-alive connection. The writer owns batching, retries and
// acknowledgments; this does one request and says how it ended.
//
// Bodies are Buffers, the UTF-8 the request sends, made once per batch by the writer: through
// @influxdata/influxdb-client's transport (a string body only) a group of four 5,000-line batches was
// joined into one string, then encoded, and the join alone was 9 % of the worker's main thread in
// bench:ingest's drain (issue 13). Not through the client's WriteApi either: it added lines one by one to
// a buffer of its own, counting each line's UTF-8 bytes in a JavaScript loop.
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

const gzipAsync = promisify(gzip);

/** Bodies larger than this are gzip'd (at zlib's default level) where the target asks for gzip. */
const GZIP_ABOVE_BYTES = 1000;
const NEWLINE = Buffer.from('\n');
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
  private readonly options: RequestOptions;
  private readonly agent: HttpAgent;
  private readonly request: (options: RequestOptions, answered: (response: IncomingMessage) => void) => ClientRequest;
  private readonly gzipThreshold: number;
  private readonly timeoutMs: number;

  constructor(target: LineTarget) {
    const url = new URL(target.url);
    const query = new URLSearchParams({ org: target.org, bucket: target.bucket, precision: 'ms' });
    const https = url.protocol === 'https:';
    this.agent = https ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
    this.request = https ? httpsRequest : httpRequest;
    this.gzipThreshold = target.gzip ? GZIP_ABOVE_BYTES : Number.POSITIVE_INFINITY;
    this.timeoutMs = target.timeoutMs;
    this.options = {
      protocol: url.protocol,
      hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port,
      // A path prefix of the URL (a database behind a reverse proxy) is kept, its trailing slashes are not.
      path: `${url.pathname.replace(/\/+$/, '')}/api/v2/write?${query.toString()}`,
      method: 'POST',
      agent: this.agent,
      timeout: target.timeoutMs,
      headers: { 'content-type': 'text/plain; charset=utf-8', ...(target.token ? { authorization: `Token ${target.token}` } : {}) },
    };
  }

  /**
   * Posts the bodies (each a batch's lines joined by newlines) joined by newlines. Resolves once the
   * database answered 2xx; rejects with HttpStatusError for another answer, or the network error.
   */
  async post(bodies: readonly Buffer[]): Promise<void> {
    const text = bodies.length === 1 ? bodies[0]! : Buffer.concat(bodies.flatMap((body, i) => (i === 0 ? [body] : [NEWLINE, body])));
    const gzipped = text.length > this.gzipThreshold;
    const body = gzipped ? await gzipAsync(text) : text;
    const headers = { ...this.options.headers, 'content-length': body.length, ...(gzipped ? { 'content-encoding': 'gzip' } : {}) };
    await new Promise<void>((resolve, reject) => {
      const request = this.request({ ...this.options, headers }, (response) => {
        const status = response.statusCode ?? 0;
        const answer: Buffer[] = [];
        let kept = 0;
        response.on('data', (chunk: Buffer) => {
          // Enough of an error answer for its message; the rest is read and let go (the connection is reused).
          if (kept >= MAX_ANSWER_CHARS * 4) return;
          answer.push(chunk);
          kept += chunk.length;
        });
        response.on('error', reject);
        response.once('end', () => {
          if (status >= 200 && status < 300) return resolve();
          reject(new HttpStatusError(status, Buffer.concat(answer).toString('utf8').trim().slice(0, MAX_ANSWER_CHARS).trim()));
        });
      });
      request.once('timeout', () => request.destroy(new Error(`no answer from the database within ${this.timeoutMs} ms`)));
      request.on('error', reject);
      request.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
