// Waiting in tests, the one way: polls a probe until it yields a value (anything but undefined or false),
// or fails naming what it waited for, with `state` (what the test saw) beside it. Bounded, so a test that
// cannot pass stops by itself; the bound is generous because the box may be loaded.
export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000, state?: () => unknown): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${state ? `; state: ${JSON.stringify(state())}` : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
