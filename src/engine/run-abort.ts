/**
 * How a run's execution is stopped (cancel, run timeout, lost lease): a flag with its reason, a promise that
 * rejects with it, and an AbortSignal for step functions. The promise and the signal are made only when asked
 * for, since most runs never need them and Node's AbortController is costly at thousands of runs a second.
 */
export class RunAbort {
  private abortedWith: { reason: unknown } | null = null;
  private rejection: Promise<never> | undefined;
  private rejectNow: ((reason: unknown) => void) | undefined;
  private controller: AbortController | undefined;
  private listeners: Array<(reason: unknown) => void> = [];

  /** Whether the execution was told to stop. */
  get aborted(): boolean {
    return this.abortedWith !== null;
  }

  /** Why it was told to stop (undefined while it was not). */
  get reason(): unknown {
    return this.abortedWith?.reason;
  }

  /** Tells the execution to stop; the first reason wins. */
  abort(reason: unknown): void {
    if (this.abortedWith) return;
    this.abortedWith = { reason };
    this.rejectNow?.(reason);
    this.controller?.abort(reason);
    const listeners = this.listeners;
    this.listeners = [];
    for (const listener of listeners) listener(reason);
  }

  /** Rejects with the reason once aborted; never resolves. */
  get promise(): Promise<never> {
    if (!this.rejection) {
      this.rejection = new Promise<never>((_, reject) => {
        this.rejectNow = reject;
      });
      this.rejection.catch(() => undefined);
      if (this.abortedWith) this.rejectNow?.(this.abortedWith.reason);
    }
    return this.rejection;
  }

  /** An AbortSignal that aborts with this execution. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.abortedWith) this.controller.abort(this.abortedWith.reason);
    }
    return this.controller.signal;
  }

  /** Calls `listener` when aborted (at once if already); returns the function that removes it. */
  onAbort(listener: (reason: unknown) => void): () => void {
    if (this.abortedWith) {
      listener(this.abortedWith.reason);
      return () => undefined;
    }
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }
}
