// A real HTTP peer on 127.0.0.1 speaking the InfluxDB v2 write API as VictoriaMetrics answers it
// (POST /api/v2/write?org=&bucket=&precision=, a body of line protocol, gzip'd past the client's
// threshold; 204 when stored, 4xx with a JSON {code, message} for data it refuses, 5xx/429 while it
// cannot take writes). In process, so a test of the writer or the ingest core needs no database start
// and a mutation run judges a mutant in well under a second. Each request is answered by `answer`
// (204 unless a test says otherwise); a request can also be held until the test releases it.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface WriteRequest {
  readonly org: string | null;
  readonly bucket: string | null;
  readonly precision: string | null;
  readonly gzip: boolean;
  readonly lines: string[];
}

/** How one write request is answered: an HTTP status (204 stores its lines), or held until released. */
export type Answer = { readonly status: number; readonly message?: string; readonly retryAfter?: string } | 'hold';

interface Held {
  readonly request: WriteRequest;
  release(answer?: Exclude<Answer, 'hold'>): void;
}

export class InfluxReceiver {
  /** Every write request received, in arrival order. */
  readonly requests: WriteRequest[] = [];
  /** Lines of the requests answered 204, in order. */
  readonly stored: string[] = [];
  /** Requests being held (answer 'hold'), oldest first. */
  readonly held: Held[] = [];
  /** Decides each request's answer; `n` counts requests from 0. */
  answer: (request: WriteRequest, n: number) => Answer = () => ({ status: 204 });

  private constructor(private readonly server: Server) {}

  static async start(): Promise<InfluxReceiver> {
    const server = createServer();
    const receiver = new InfluxReceiver(server);
    server.on('request', (req, res) => receiver.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const h of this.held.splice(0)) h.release({ status: 503, message: 'shutting down' });
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (req.method !== 'POST' || url.pathname !== '/api/v2/write') {
        res.writeHead(404).end();
        return;
      }
      const gzip = req.headers['content-encoding'] === 'gzip';
      const raw = Buffer.concat(chunks);
      const body = (gzip ? gunzipSync(raw) : raw).toString('utf8');
      const request: WriteRequest = {
        org: url.searchParams.get('org'),
        bucket: url.searchParams.get('bucket'),
        precision: url.searchParams.get('precision'),
        gzip,
        lines: body.split('\n').filter((l) => l !== ''),
      };
      const n = this.requests.length;
      this.requests.push(request);
      const reply = (answer: Exclude<Answer, 'hold'>) => {
        if (answer.status === 204) {
          this.stored.push(...request.lines);
          res.writeHead(204).end();
          return;
        }
        res.writeHead(answer.status, { 'content-type': 'application/json', ...(answer.retryAfter ? { 'retry-after': answer.retryAfter } : {}) });
        res.end(JSON.stringify({ code: answer.status < 500 ? 'invalid' : 'unavailable', message: answer.message ?? `HTTP ${answer.status}` }));
      };
      const answer = this.answer(request, n);
      if (answer === 'hold') this.held.push({ request, release: (a = { status: 204 }) => reply(a) });
      else reply(answer);
    });
  }
}
