// A typed, synchronous event bus: stages subscribe to the events they consume and emit what they produce.
// Synchronous delivery keeps alarm latency to a function call; a listener that throws is reported through
// onListenerError (logged and counted by the runtime) and does not stop delivery to the other listeners.

/** An interface of event name → payload; no index signature needed (nor wanted: unknown names must not compile). */
export type EventMap = object;
export type Listener<P> = (payload: P) => void;

export class EventBus<Events extends EventMap> {
  private readonly listeners = new Map<keyof Events, Set<Listener<never>>>();

  constructor(private readonly onListenerError: (event: string, error: unknown) => void) {}

  /** Subscribes and returns the function that unsubscribes; owners call it in stop(). */
  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as Listener<never>);
    return () => {
      set.delete(listener as Listener<never>);
    };
  }

  emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of set) {
      try {
        (listener as Listener<Events[K]>)(payload);
      } catch (error) {
        this.onListenerError(String(event), error);
      }
    }
  }

  listenerCount(event: keyof Events): number {
    return this.listeners.get(event)?.size ?? 0;
  }
}
