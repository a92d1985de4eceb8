/**
 * Draining a component in every process of the store: pause it (audited), then wait until every live worker reports
 * it paused with no use in flight, or until a deadline (the component stays paused either way).
 */
import { setTimeout as delay } from 'node:timers/promises';
import { ErrorCodes, StewardError } from '../errors.js';
import type { ComponentControl, ComponentReport } from '../store/store.js';
import { COMPONENT_REPORT_EVERY_MS, type Steward } from './steward.js';

/** Options of `drainComponent`. */
export interface DrainOptions {
  /** Give up waiting after this long (default 60 000 ms); the component stays paused. */
  timeoutMs?: number;
  /** Who drains it and why (recorded in the audit log). */
  by?: string;
  reason?: string;
  /** Told, while waiting, which workers still hold the component. */
  onWait?: (busy: readonly ComponentReport[]) => void;
  /** How often the reports are read (default 500 ms). */
  pollMs?: number;
  /** The time source (epoch ms). */
  now?: () => number;
}

/** What a finished drain found: the control, and the live workers' last reports of the component. */
export interface DrainResult {
  control: ComponentControl;
  reports: ComponentReport[];
}

/** The default bound of a drain. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 60_000;

/**
 * Pauses the component everywhere and waits until no live worker has a use of it in flight. Throws
 * `STEWARD_PROVIDER_DRAIN_TIMEOUT`, naming the busy workers, past the deadline.
 */
export async function drainComponent(steward: Steward, domain: string, key: string, options: DrainOptions = {}): Promise<DrainResult> {
  const { timeoutMs = DEFAULT_DRAIN_TIMEOUT_MS, pollMs = 500, now = Date.now } = options;
  const control = await steward.pauseComponent(domain, key, true, {
    ...(options.by === undefined ? {} : { by: options.by }),
    ...(options.reason === undefined ? {} : { reason: options.reason }),
  });
  const deadline = now() + timeoutMs;
  for (;;) {
    // reports of live workers only: a worker reports at least every few seconds
    const reports = (await steward.componentReports(3 * COMPONENT_REPORT_EVERY_MS)).filter((r) => r.domain === domain && r.key === key);
    const busy = reports.filter((r) => r.inFlight > 0 || r.state !== 'paused');
    if (busy.length === 0 && (reports.length > 0 || now() - control.updatedAt > 2 * COMPONENT_REPORT_EVERY_MS)) return { control, reports };
    if (now() >= deadline) {
      throw new StewardError(
        ErrorCodes.PROVIDER_DRAIN_TIMEOUT,
        `${domain}/${key} is paused, but after ${timeoutMs} ms ${busy.map((r) => `${r.worker} (${r.inFlight} in flight, ${r.state})`).join(', ') || 'no worker'} had not drained it: wait longer (a larger timeout), or find what holds its uses`,
        { details: { domain, key, busy } },
      );
    }
    options.onWait?.(busy);
    await delay(Math.max(0, Math.min(pollMs, deadline - now())));
  }
}
