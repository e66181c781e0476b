// GpioPort: the only way lastmile touches GPIO. The onoff adapter drives real pins; the in-memory port
// drives tests and the demo (this development machine has no GPIO).

export type GpioLevel = 0 | 1;
export type GpioEdge = 'none' | 'rising' | 'falling' | 'both';

export interface GpioInput {
  /** Current level as the pin reads it (no activeLow inversion; profiles do that). */
  read(): Promise<GpioLevel>;
  /** Calls back on every edge after the debounce time; returns the function that stops watching. */
  watch(callback: (level: GpioLevel) => void): () => void;
  close(): Promise<void>;
}

export interface GpioOutput {
  write(level: GpioLevel): Promise<void>;
  /** The level last written, for the console and the demo's siren display. */
  level(): GpioLevel;
  close(): Promise<void>;
}

export interface GpioPort {
  /**
   * Opens a line as an input; `line` is the BCM number, translated to the chip's global number inside.
   * `onError` gets failures seen while watching (e.g. an epoll error), which `watch` callbacks cannot carry.
   */
  input(line: number, options: { edge: GpioEdge; debounceMs: number; onError?: (error: Error) => void }): Promise<GpioInput>;
  /** Opens a line as an output driven to `initial` from the start (no glitch to the other level). */
  output(line: number, options: { initial: GpioLevel }): Promise<GpioOutput>;
}
