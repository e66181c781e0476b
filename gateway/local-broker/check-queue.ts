// Password checks run one at a time. scrypt runs on libuv's small thread pool (4 threads), which the
// spool's file writes share: a burst of connection attempts must not starve them, nor take 16 MiB each.
// Beyond `maxPending` waiting checks, new attempts are turned away at once ("server unavailable").

export class CheckQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;

  constructor(private readonly maxPending: number) {}

  /** Runs the task after the ones before it; returns undefined (without running it) when the queue is full. */
  run<T>(task: () => Promise<T>): Promise<T> | undefined {
    if (this.pending >= this.maxPending) return undefined;
    this.pending++;
    const result = this.tail.then(task);
    const settle = () => {
      this.pending--;
    };
    this.tail = result.then(settle, settle);
    return result;
  }
}
