/**
 * Executes one claimed run: replays its workflow function against the recorded history, then records how it ended
 * (succeeded, failed, cancelled) or leaves it suspended. A lost lease ends the execution without another write.
 */
import {
  LeaseLostError,
  NonDeterminismError,
  RunCancelledError,
  RunTimeoutError,
  KillSwitchError,
  StewardError,
  StoreUnavailableError,
  UnknownWorkflowError,
  serializeError,
} from '../errors.js';
import { encodeJson } from '../domain/json.js';
import type { ClaimedRun, RunOutcome } from '../store/store.js';
import { RunContext, Suspended } from './context.js';
import type { EngineDeps } from './deps.js';
import type { RunAbort } from './run-abort.js';
import type { Logger } from '../observability/logger.js';
import { RunTelemetry } from './run-telemetry.js';

/**
 * Runs a claimed run to its next resting point. `release` is called as soon as the run no longer needs its slot
 * (its last write is queued), so the worker can claim the next run in the same group commit. `abandon` is called
 * when the store failed under the run (it could not record what happened): the run stopped without another write,
 * still leased to this worker, which hands it back to its queue once the store answers again.
 */
export async function executeRun(
  deps: EngineDeps,
  claimed: ClaimedRun,
  controller: RunAbort,
  release: () => void,
  abandon: (error: unknown) => void,
): Promise<void> {
  const { run, lease } = claimed;
  const telemetry = new RunTelemetry(deps.metrics, run);
  let logger: Logger | undefined;
  const log = (): Logger => (logger ??= deps.logger.child({ runId: run.id, workflow: run.workflow }));
  let released = false;
  const free = (): void => {
    if (!released) {
      released = true;
      release();
    }
  };
  const finish = async (outcome: RunOutcome, pending?: Promise<void>): Promise<void> => {
    const write = deps.store.finishRun(lease, outcome, deps.clock.now());
    free();
    try {
      await Promise.all([write, pending]);
      telemetry.finished(outcome.status, 'error' in outcome && outcome.error !== null && outcome.status !== 'cancelled' ? outcome.error : undefined);
      if (outcome.status === 'failed' || outcome.status === 'rolled_back') {
        log().warn({ error: outcome.error.message, code: outcome.error.code, status: outcome.status }, 'run failed');
      }
      else if (deps.logger.isLevelEnabled('debug')) log().debug({ status: outcome.status }, 'run ended');
    } catch (error) {
      if (error instanceof LeaseLostError) {
        telemetry.stopped('lease_lost');
        log().warn({ epoch: lease.epoch }, 'lease lost before the run could end; another worker owns it now');
      } else throw error;
    }
  };
  const stopForStore = (error: unknown): void => {
    telemetry.stopped('store_unavailable', error);
    free();
    if (deps.logger.isLevelEnabled('debug')) log().debug({ err: error }, 'the store failed under the run; it goes back to its queue when the store answers');
    abandon(error);
  };

  let deadlineTimer: NodeJS.Timeout | undefined;
  try {
    // aborted while held ready: end without running workflow code
    const early: unknown = controller.aborted ? controller.reason : null;
    if (early instanceof LeaseLostError) {
      telemetry.stopped('lease_lost');
      free();
      return;
    }
    if (run.cancelRequested || early instanceof RunCancelledError) {
      await finish({ status: 'cancelled', error: serializeError(new RunCancelledError(run.id)) });
      return;
    }
    const now = deps.clock.now();
    if (run.deadlineAt !== null && now >= run.deadlineAt) {
      await finish({ status: 'failed', error: serializeError(new RunTimeoutError(run.id, run.timeoutMs ?? 0)) });
      return;
    }
    const definition = deps.workflows.get(run.workflow);
    if (!definition) {
      await finish({ status: 'failed', error: serializeError(new UnknownWorkflowError(run.workflow, [...deps.workflows.keys()])) });
      return;
    }
    if (run.deadlineAt !== null) {
      deadlineTimer = setTimeout(() => controller.abort(new RunTimeoutError(run.id, run.timeoutMs ?? 0)), run.deadlineAt - now);
    }
    const ctx = new RunContext(deps, run, lease, claimed.steps, controller, telemetry);
    let output: unknown;
    let thrown: unknown;
    let threw = false;
    try {
      output = await definition.run(ctx, run.input);
    } catch (error) {
      threw = true;
      thrown = error;
    }
    const pending = ctx.settle();
    pending.catch(() => undefined);

    if (ctx.isSuspended && !controller.aborted) {
      free();
      await pending;
      telemetry.stopped('suspended');
      return;
    }
    if (controller.aborted) {
      const reason: unknown = controller.reason;
      if (reason instanceof LeaseLostError) {
        free();
        telemetry.stopped('lease_lost');
        log().warn({ epoch: lease.epoch }, 'lease lost; stopped executing the run');
        return;
      }
      if (reason instanceof StoreUnavailableError) {
        stopForStore(reason);
        return;
      }
      if (reason instanceof KillSwitchError) {
        // paused until the switch goes off, then given back to its queue; its apply runs again under the same key
        const write = deps.store.pauseRun(lease, deps.clock.now());
        free();
        await Promise.all([write, pending.catch(() => undefined)]);
        telemetry.stopped('paused');
        log().warn({ action: reason.details?.action }, 'the kill switch stopped the run; it is paused');
        return;
      }
      if (reason instanceof RunCancelledError) {
        await finish({ status: 'cancelled', error: serializeError(reason) }, pending.catch(() => undefined));
        return;
      }
      await finish({ status: 'failed', error: serializeError(reason) }, pending.catch(() => undefined));
      return;
    }
    if (threw) {
      if (thrown instanceof Suspended) {
        free();
        await pending;
        telemetry.stopped('suspended');
        return;
      }
      if (definition.compensate === 'auto' && ctx.hasAppliedActs) {
        await pending;
        let rollbacks: Awaited<ReturnType<RunContext['compensate']>>;
        try {
          rollbacks = await ctx.compensate();
        } catch (error) {
          // a rollback waiting to retry: the run suspends and compensates on when it wakes
          if (!(error instanceof Suspended)) throw error;
          free();
          await ctx.settle();
          telemetry.stopped('suspended');
          return;
        }
        const error = serializeError(thrown);
        error.details = { ...error.details, rollbacks };
        const undone = rollbacks.every((r) => r.rolledBack);
        await finish(undone ? { status: 'rolled_back', error } : { status: 'failed', error }, ctx.settle());
        return;
      }
      await finish({ status: 'failed', error: serializeError(thrown) }, pending);
      return;
    }
    const ahead = ctx.historyAhead;
    if (ahead !== null) {
      const error = new NonDeterminismError(run.id, ctx.lastSeq + 1, `steps up to #${ahead}`, 'the workflow returning');
      await finish({ status: 'failed', error: serializeError(error) }, pending);
      return;
    }
    const encoded = encodeJson(output);
    if (!encoded.ok || encoded.bytes > deps.config.maxResultBytes) {
      const message = !encoded.ok
        ? `workflow "${run.workflow}" returned an output that is not JSON-serialisable (${encoded.reason})`
        : `workflow "${run.workflow}" returned ${encoded.bytes} bytes of JSON, over the ${deps.config.maxResultBytes}-byte limit`;
      const code = !encoded.ok ? 'STEWARD_STEP_RESULT_NOT_JSON' : 'STEWARD_STEP_RESULT_TOO_LARGE';
      await finish({ status: 'failed', error: serializeError(new StewardError(code, message)) }, pending);
      return;
    }
    // a plan-mode run rests as planned: its plans wait for review, and for applyPlan
    await finish({ status: run.mode === 'plan' ? 'planned' : 'succeeded', outputJson: encoded.json }, pending);
  } catch (error) {
    if (error instanceof LeaseLostError) {
      free();
      telemetry.stopped('lease_lost');
      log().warn({ epoch: lease.epoch }, 'lease lost; stopped executing the run');
      return;
    }
    if (error instanceof StoreUnavailableError) {
      stopForStore(error);
      return;
    }
    free();
    telemetry.end(error);
    log().error({ err: error }, 'could not record the outcome of the run; it will be retried when its lease expires');
  } finally {
    if (deadlineTimer) clearTimeout(deadlineTimer);
    telemetry.end();
  }
}
