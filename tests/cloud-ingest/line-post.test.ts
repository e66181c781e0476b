// One HTTP write (issue 18, ingest mutation): LinePoster against a bare HTTP server on 127.0.0.1 that
// records what arrives and answers as told, including answers tests/helpers/influx-receiver.ts never
// gives (an empty body, a long one, none at all): the path (a URL's path prefix kept), query, method,
// content type and token, several batches' bodies joined by newlines, gzip only above 1,000 bytes and
// only when the target asks for it (gzipWrites: not for a database on loopback), one kept-alive
// connection closed by close(), a non-2xx answer as HttpStatusError with the answer trimmed and cut, a
// network error passed on as itself, and a database that never answers given up after timeoutMs.
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { gzipWrites } from '../../cloud-ingest/config.js';
import { HttpStatusError, LinePoster } from '../../cloud-ingest/ingest/line-post.js';
import { freePort } from '../helpers/peers.js';
import { waitFor } from '../helpers/wait.js';

interface Seen {
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly contentType: string | undefined;
  readonly authorization?: string | undefined;
  readonly gzip: boolean;
  readonly body: string;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startServer(answer: () => { status: number; body?: string } | 'never' = () => ({ status: 204 })) {
  const seen: Seen[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const gzip = req.headers['content-encoding'] === 'gzip';
      const raw = Buffer.concat(chunks);
      seen.push({ method: req.method, url: req.url, contentType: req.headers['content-type'], authorization: req.headers.authorization, gzip, body: (gzip ? gunzipSync(raw) : raw).toString('utf8') });
      const told = answer();
      if (told === 'never') return;
      const { status, body = '' } = told;
      res.writeHead(status, body ? { 'content-type': 'text/plain' } : {}).end(body);
    });
  });
  server.on('connection', (socket) => {
    connections++;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // Idle connections stay open here (Node's default closes them after 5 s): only close() ends them.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, open: () => sockets.size, connections: () => connections };
}

function poster(url: string, gzip = true, timeoutMs = 5_000): LinePoster {
  const p = new LinePoster({ url, org: 'lastmile', bucket: 'tele metry', token: 'tok', timeoutMs, gzip });
  cleanups.push(() => p.close());
  return p;
}

/** Bodies as the writer hands them over: one per batch, its lines joined. */
const bodies = (...texts: string[]) => texts.map((t) => Buffer.from(t));

describe('LinePoster', () => {
  it('POSTs the lines as text to /api/v2/write with org, bucket and ms precision, gzip only above 1,000 bytes, on one kept-alive connection that close() ends', async () => {
    const server = await startServer();
    const p = poster(`${server.url}///`);
    const small = 'power,source=a v=1 1750000000000';
    const large = Array.from({ length: 40 }, (_, i) => `power,source=a v=${i} ${1750000000000 + i}`).join('\n');
    await p.post(bodies(small));
    await p.post(bodies(large));
    const write = { method: 'POST', url: '/api/v2/write?org=lastmile&bucket=tele+metry&precision=ms', contentType: 'text/plain; charset=utf-8', authorization: 'Token tok' };
    expect(server.seen).toEqual([
      { ...write, gzip: false, body: small },
      { ...write, gzip: true, body: large },
    ]);
    expect(large.length).toBeGreaterThan(1000);
    expect(server.connections()).toBe(1);
    expect(server.open()).toBe(1);
    p.close();
    await waitFor('the kept-alive connection closed', () => server.open() === 0);
  });

  it('sends a large body as it is when the target says no gzip', async () => {
    const server = await startServer();
    const large = Array.from({ length: 40 }, (_, i) => `power,source=a v=${i} ${1750000000000 + i}`).join('\n');
    await poster(server.url, false).post(bodies(large));
    expect(server.seen.map((s) => [s.gzip, s.body])).toEqual([[false, large]]);
  });

  it('gzips writes that cross a network, not writes to this host, unless told (gzipWrites)', () => {
    const auto = (url: string) => gzipWrites({ url, compress: 'auto' });
    expect([auto('http://127.0.0.1:8428'), auto('http://127.8.0.2:8086/'), auto('http://localhost:8086'), auto('http://[::1]:8086')]).toEqual([false, false, false, false]);
    expect([auto('http://influx.township.local:8086'), auto('https://10.0.0.5:8086'), auto('http://[2001:db8::1]:8086'), auto('http://128.0.0.1:8086')]).toEqual([true, true, true, true]);
    expect([gzipWrites({ url: 'http://127.0.0.1:8428', compress: 'gzip' }), gzipWrites({ url: 'http://influx.township.local:8086', compress: 'none' })]).toEqual([true, false]);
  });

  it('rejects a non-2xx answer with HttpStatusError: the status, the answer trimmed and cut to 500 characters, nothing after the status when empty', async () => {
    const answers = [{ status: 400, body: '  bad line 3\n' }, { status: 503 }, { status: 422, body: 'x'.repeat(2000) }];
    const server = await startServer(() => answers.shift()!);
    const p = poster(server.url);
    const failure = (): Promise<HttpStatusError> => p.post(bodies('power,source=a v=1 1750000000000')).then(() => { throw new Error('expected a rejection'); }, (error: HttpStatusError) => error);
    const bad = await failure();
    expect(bad).toBeInstanceOf(HttpStatusError);
    expect([bad.statusCode, bad.message, bad.name]).toEqual([400, 'HTTP 400: bad line 3', 'HttpStatusError']);
    const empty = await failure();
    expect([empty.statusCode, empty.message]).toEqual([503, 'HTTP 503']);
    const long = await failure();
    expect(long.message).toBe(`HTTP 422: ${'x'.repeat(500)}`);
  });

  it('passes a network error on as itself (no HTTP status to judge by)', async () => {
    const p = poster(`http://127.0.0.1:${await freePort()}`);
    const error = await p.post(bodies('power,source=a v=1 1750000000000')).then(() => undefined, (e: Error & { code?: string }) => e);
    expect(error).toBeDefined();
    expect(error).not.toBeInstanceOf(HttpStatusError);
    expect(error?.code).toBe('ECONNREFUSED');
  });

  it("joins several batches' bodies with newlines, keeps a path prefix of the URL, and sends no authorization without a token", async () => {
    const server = await startServer();
    const p = new LinePoster({ url: `${server.url}/influx/`, org: 'o', bucket: 'b', token: undefined, timeoutMs: 5_000, gzip: false });
    cleanups.push(() => p.close());
    await p.post(bodies('m,source=a v=1 1\nm,source=b v=2 1', 'm,source=c v=3 1', 'm,source=d 中文="是" 1'));
    expect(server.seen).toEqual([{ method: 'POST', url: '/influx/api/v2/write?org=o&bucket=b&precision=ms', contentType: 'text/plain; charset=utf-8', authorization: undefined, gzip: false, body: 'm,source=a v=1 1\nm,source=b v=2 1\nm,source=c v=3 1\nm,source=d 中文="是" 1' }]);
  });

  it('gives up on a database that never answers after timeoutMs, with an error that is not an HTTP status', async () => {
    const server = await startServer(() => 'never');
    const started = performance.now();
    const error = await poster(server.url, true, 300).post(bodies('power,source=a v=1 1750000000000')).then(() => undefined, (e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(HttpStatusError);
    expect(error?.message).toMatch(/within 300 ms/);
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    expect(server.seen).toHaveLength(1);
  });
});
