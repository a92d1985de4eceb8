/**
 * What a Steward knows of the store-wide controls (the kill switch, the global autonomy level), kept fresh from the
 * store's notices and its poll, and told to whoever watches: an apply in flight watches the kill switch.
 */
import type { Controls } from '../store/store.js';

/** The controls as last read, and their watchers. */
export class ControlState {
  private current: Controls = { killSwitch: { on: false, by: null, reason: null, at: null }, autonomy: 1 };
  private readonly watchers = new Set<(controls: Controls) => void>();

  get value(): Controls {
    return this.current;
  }

  get killSwitchOn(): boolean {
    return this.current.killSwitch.on;
  }

  /** Takes a fresh reading; watchers hear of it when the kill switch changed. */
  update(controls: Controls): void {
    const changed = controls.killSwitch.on !== this.current.killSwitch.on;
    this.current = controls;
    if (changed) for (const watcher of [...this.watchers]) watcher(controls);
  }

  /** Calls `watcher` whenever the kill switch turns on or off; returns the function that stops it. */
  watch(watcher: (controls: Controls) => void): () => void {
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }
}
