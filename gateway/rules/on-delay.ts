// On-delay shared by threshold, state and window rules: the raw condition must hold continuously for
// `forMs` (monotonic) before the rule turns active. A condition that drops back before then restarts the wait.

export class OnDelay {
  private pendingSince: number | undefined;
  private isActive = false;

  constructor(private readonly forMs: number) {}

  active(): boolean {
    return this.isActive;
  }

  /** Feeds the raw condition; returns the new active flag if it changed. */
  update(condition: boolean, mono: number): boolean | undefined {
    if (!condition) {
      this.pendingSince = undefined;
      if (!this.isActive) return undefined;
      this.isActive = false;
      return false;
    }
    if (this.isActive) return undefined;
    this.pendingSince ??= mono;
    return this.check(mono);
  }

  /** Completes a pending on-delay when enough time has passed. */
  check(mono: number): boolean | undefined {
    if (this.isActive || this.pendingSince === undefined) return undefined;
    if (mono - this.pendingSince < this.forMs) return undefined;
    this.isActive = true;
    this.pendingSince = undefined;
    return true;
  }

  /** Forgets a pending condition without changing the active flag (e.g. window closed while unsynced). */
  cancelPending(): void {
    this.pendingSince = undefined;
  }
}
