// A duty officer's board over HTTP, as the page uses it: log in (session cookie), read cases, take steps,
// and follow the live feed (Server-Sent Events), recording every case snapshot it receives.
export interface BoardCaseView {
  readonly caseId: string;
  readonly step: string;
  readonly version: number;
  readonly revision: number;
  readonly assignee?: string;
  readonly steps: { step: string; by: string; to?: string }[];
}

export class BoardClient {
  /** Every case snapshot from the live feed, in arrival order. */
  readonly seen: BoardCaseView[] = [];
  private cookie = '';
  private readonly abort = new AbortController();

  constructor(readonly base: string) {}

  async login(user: string, password: string): Promise<void> {
    const res = await fetch(`${this.base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user, password }) });
    if (!res.ok) throw new Error(`login ${user} on ${this.base}: HTTP ${res.status}`);
    this.cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  }

  async get<T>(path: string): Promise<T> {
    const res = await fetch(`${this.base}${path}`, { headers: { cookie: this.cookie } });
    if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status}`);
    return (await res.json()) as T;
  }

  /** POSTs and returns status and body (a conflict is an answer, not an exception). */
  async post(path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`${this.base}${path}`, { method: 'POST', headers: { cookie: this.cookie, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  /** Starts following the live feed; resolves once it is connected. */
  async follow(): Promise<void> {
    const res = await fetch(`${this.base}/api/events`, { headers: { cookie: this.cookie }, signal: this.abort.signal });
    if (!res.ok || !res.body) throw new Error(`events: HTTP ${res.status}`);
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    const pump = async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block.split('\n').find((l) => l.startsWith('data: '));
          if (block.includes('event: alarm') && data) this.seen.push(JSON.parse(data.slice(6)) as BoardCaseView);
        }
      }
    };
    pump().catch(() => undefined); // aborted by close()
  }

  close(): void {
    this.abort.abort();
  }
}
