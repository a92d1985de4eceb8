/** The bundled examples, loaded by `steward worker` when no `--module` is given. */
import type { RegisteredAction, ScheduleDefinition, WorkflowDefinition } from '../src/index.js';
import { deployActions, deployRelease } from './deploy.js';
import { hello } from './hello.js';
import { notify, release } from './release.js';

/** Every example workflow. */
export const workflows: WorkflowDefinition[] = [hello, release, notify, deployRelease];

/** Every example action, for plan files such as examples/deploy-plan.yaml and for `deploy.release`. */
export const actions: RegisteredAction[] = [...deployActions];

/** Example cron schedules (none start by themselves; see docs/workflows.md for `defineSchedule`). */
export const schedules: ScheduleDefinition[] = [];
