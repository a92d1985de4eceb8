/**
 * Cron schedules. Each tick starts its workflow with the idempotency key `schedule:<name>:<tick>`, so however
 * many processes run the scheduler, a tick starts one run. A tick missed while nothing ran starts once on start-up.
 */
import { Cron } from 'croner';
import { ConfigError } from '../errors.js';
import type { ScheduleDefinition } from '../domain/workflow.js';
import type { EngineDeps } from './deps.js';

/** Starts a run for a schedule's tick. */
export type StartScheduled = (schedule: ScheduleDefinition, tickAt: number) => Promise<void>;

/** Parses a cron expression, naming the schedule when it is wrong. */
export function parseCron(schedule: ScheduleDefinition): Cron {
  try {
    return new Cron(schedule.cron, { paused: true, ...(schedule.timezone ? { timezone: schedule.timezone } : {}) });
  } catch (cause) {
    throw new ConfigError(`schedule "${schedule.name}" has an invalid cron expression "${schedule.cron}": ${(cause as Error).message}`, {
      cause,
    });
  }
}

/** Runs the ticks of every schedule while started. */
export class Scheduler {
  private timers = new Map<string, NodeJS.Timeout>();
  private running = false;

  constructor(
    private readonly deps: EngineDeps,
    private readonly schedules: readonly ScheduleDefinition[],
    private readonly startRun: StartScheduled,
  ) {
    for (const schedule of schedules) parseCron(schedule);
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    for (const schedule of this.schedules) {
      const cron = parseCron(schedule);
      await this.catchUp(schedule, cron);
      this.arm(schedule, cron);
    }
  }

  stop(): void {
    this.running = false;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  /** Runs the latest tick missed since the last recorded one, once; the first start records a baseline only. */
  private async catchUp(schedule: ScheduleDefinition, cron: Cron): Promise<void> {
    const now = this.deps.clock.now();
    const last = await this.deps.store.lastScheduleTick(schedule.name);
    if (last === null) {
      await this.deps.store.claimScheduleTick(schedule.name, schedule.cron, schedule.workflow, now, now);
      return;
    }
    const previous = cron.previousRuns(1, new Date(now))[0];
    if (previous && previous.getTime() > last) await this.tick(schedule, previous.getTime());
  }

  private arm(schedule: ScheduleDefinition, cron: Cron): void {
    if (!this.running) return;
    const next = cron.nextRun(new Date(this.deps.clock.now()));
    if (!next) return;
    const delay = Math.max(0, next.getTime() - this.deps.clock.now());
    // timers cannot wait longer than about 24.8 days; re-arm in steps
    const timer = setTimeout(
      () => {
        if (next.getTime() > this.deps.clock.now() + 5) return this.arm(schedule, cron);
        void this.tick(schedule, next.getTime()).finally(() => this.arm(schedule, cron));
      },
      Math.min(delay, 2 ** 31 - 1),
    );
    timer.unref();
    this.timers.set(schedule.name, timer);
  }

  private async tick(schedule: ScheduleDefinition, tickAt: number): Promise<void> {
    try {
      // start first (idempotent by key), then record the tick: a crash in between repeats the start, never loses it
      await this.startRun(schedule, tickAt);
      await this.deps.store.claimScheduleTick(schedule.name, schedule.cron, schedule.workflow, tickAt, this.deps.clock.now());
    } catch (error) {
      this.deps.logger.error({ err: error, schedule: schedule.name, tickAt }, 'schedule tick could not start its run');
    }
  }
}
