// "Is it on disk yet?" for whoever must answer a device: the MQTT driver PUBACKs a device's QoS 1
// publish only once the measurements (and any alarm events) it caused are fsync'd in the spool. The
// spool stage provides the barrier while it runs; without a spool nothing is durable and the barrier
// resolves at once (the docs say what that costs).
export type BarrierFn = () => Promise<void>;

export class Durability {
  /** The latest provider is used; removing it restores the one before (tests stand in for the spool). */
  private readonly providers: BarrierFn[] = [];

  /** The spool stage: everything emitted on the bus before the call is durable when the promise resolves. */
  provide(barrier: BarrierFn): () => void {
    this.providers.push(barrier);
    return () => {
      const at = this.providers.lastIndexOf(barrier);
      if (at >= 0) this.providers.splice(at, 1);
    };
  }

  /**
   * Resolves once everything emitted so far is durable (one group commit covers many callers); rejects
   * when the spool could not write it (disk full, I/O error): then nobody may be told it is safe.
   */
  barrier(): Promise<void> {
    const provider = this.providers.at(-1);
    return provider ? provider() : Promise.resolve();
  }
}
