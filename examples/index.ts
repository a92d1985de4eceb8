/** The bundled examples, loaded by `steward worker` when no `--module` is given. */
import type { ScheduleDefinition, WorkflowDefinition } from '../src/index.js';
import { hello } from './hello.js';
import { notify, release } from './release.js';

/** Every example workflow. */
export const workflows: WorkflowDefinition[] = [hello, release, notify];

/** Example cron schedules (none start by themselves; see docs/workflows.md for `defineSchedule`). */
export const schedules: ScheduleDefinition[] = [];
