// One HTTP write of line protocol to an InfluxDB v2 write endpoint (/api/v2/write, ms precision): the
// lines joined, gzip'd (fastest level) above 1,000 bytes, POSTed on a keep-alive connection. What
// @influxdata/influxdb-client's WriteApi did for the writer, without its per-line work: it added lines
// one by one to a buffer of its own, counting each line's UTF-8 bytes in a JavaScript loop over its
// characters, and allocated a new array of flushLines slots for every write: the largest JavaScript
// items of bench:ingest's profile at 5,000-measurement batches (issue 13). The writer owns batching,
// retries and acknowledgments; this does one request and says how it ended.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

const gzipAsync = promisify(gzip);

/** Bodies larger than this are gzip'd (the client's default threshold). */
const GZIP_ABOVE_BYTES = 1000;
/**
 * zlib's fastest level: a drain's 2.6 MB body took the default level (6) a large share of the write's CPU,
 * for a few more bytes on a LAN (bench:ingest, embedded: 518,000-531,000 measurements per worker CPU-s
 * at level 1 against 455,000-465,000 at 6; a fleet's 40 KB bodies showed no difference).
 */
const GZIP_LEVEL = 1;
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
}

/** Posts line protocol to one endpoint; reuses its connections. */
export class LinePoster {
  private readonly endpoint: URL;
  private readonly agent: HttpAgent;
  private readonly request: typeof httpRequest;
  private readonly headers: Record<string, string>;

  constructor(private readonly target: LineTarget) {
    this.endpoint = new URL(`${target.url.replace(/\/+$/, '')}/api/v2/write`);
    this.endpoint.searchParams.set('org', target.org);
    this.endpoint.searchParams.set('bucket', target.bucket);
    this.endpoint.searchParams.set('precision', 'ms');
    const https = this.endpoint.protocol === 'https:';
    this.agent = https ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
    this.request = https ? httpsRequest : httpRequest;
    this.headers = { 'content-type': 'text/plain; charset=utf-8', ...(target.token ? { authorization: `Token ${target.token}` } : {}) };
  }

  /**
   * Posts a body of lines joined by newlines. Resolves once the database answered 2xx; rejects with
   * HttpStatusError for another answer, or the network error.
   */
  async post(body: string): Promise<void> {
    const text = Buffer.from(body, 'utf8');
    const sent = text.length > GZIP_ABOVE_BYTES ? await gzipAsync(text, { level: GZIP_LEVEL }) : text;
    const headers = sent === text ? this.headers : { ...this.headers, 'content-encoding': 'gzip' };
    await new Promise<void>((resolve, reject) => {
      const req = this.request(this.endpoint, { method: 'POST', agent: this.agent, headers: { ...headers, 'content-length': String(sent.length) }, timeout: this.target.timeoutMs }, (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) {
          res.resume();
          res.once('end', resolve);
          res.once('error', reject);
          return;
        }
        let answer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (answer.length < MAX_ANSWER_CHARS) answer += chunk;
        });
        res.once('end', () => reject(new HttpStatusError(status, answer.slice(0, MAX_ANSWER_CHARS).trim())));
        res.once('error', reject);
      });
      req.once('timeout', () => req.destroy(new Error(`no answer from the database in ${this.target.timeoutMs} ms`)));
      req.once('error', reject);
      req.end(sent);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
