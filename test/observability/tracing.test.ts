/**
 * Spans of runs, steps and act phases, caught by an in-memory exporter: each execution of a run is a root span, its
 * steps and act phases are its children (parents passed explicitly, no context manager), with run_id, task_id,
 * workflow, action and resource; failures set the error status.
 */
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { z } from 'zod';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defineWorkflow } from '../../src/index.js';
import { useSteward } from '../helpers/steward.js';
import { waitUntil } from '../helpers/wait.js';
import { waitForWaitKind } from '../helpers/runs.js';
import { broken, deploy, scale } from './fixtures.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

beforeAll(() => {
  expect(trace.setGlobalTracerProvider(provider)).toBe(true);
});
afterAll(async () => {
  trace.disable();
  await provider.shutdown();
});
beforeEach(() => exporter.reset());

const gated = defineWorkflow({
  name: 'obs.gated',
  input: z.object({}),
  run: async (ctx) => {
    const go = await ctx.waitFor<string>('go');
    return ctx.step('after', () => go);
  },
});

/** The ended spans of a run, once its run span(s) ended. */
async function spansOf(runId: string, runSpans = 1): Promise<ReadableSpan[]> {
  return waitUntil(() => {
    const spans = exporter.getFinishedSpans().filter((s) => s.attributes.run_id === runId);
    return spans.filter((s) => s.name === 'steward.run').length >= runSpans ? spans : null;
  }, { what: `the spans of run ${runId}` });
}

function parentOf(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

describe('tracing', () => {
  it('a run is the root span; its step and act phases are its children, with their attributes', async () => {
    const steward = await useSteward({ workflows: [deploy], actions: [scale], globalAutonomy: 3 });
    steward.worker.start();
    const handle = await steward.start('obs.deploy', { service: 'api', replicas: 3 });
    await handle.result();
    const spans = await spansOf(handle.id);
    const run = spans.find((s) => s.name === 'steward.run')!;
    expect(parentOf(run)).toBeUndefined();
    expect(run.attributes).toMatchObject({ run_id: handle.id, workflow: 'obs.deploy', 'steward.status': 'succeeded' });
    expect(run.status.code).not.toBe(SpanStatusCode.ERROR);

    const step = spans.find((s) => s.name === 'steward.step')!;
    expect(parentOf(step)).toBe(run.spanContext().spanId);
    expect(step.spanContext().traceId).toBe(run.spanContext().traceId);
    expect(step.attributes).toMatchObject({ run_id: handle.id, task_id: 'look-up', workflow: 'obs.deploy', 'steward.outcome': 'succeeded' });

    for (const phase of ['plan', 'apply', 'verify']) {
      const span = spans.find((s) => s.name === `steward.act.${phase}`);
      expect(span, phase).toBeDefined();
      expect(parentOf(span!)).toBe(run.spanContext().spanId);
      expect(span!.attributes).toMatchObject({ run_id: handle.id, task_id: 'service.scale', action: 'service.scale', resource: 'service:api', workflow: 'obs.deploy' });
    }
    // every child ends before the run
    for (const span of spans) expect(span.endTime[0] * 1e9 + span.endTime[1]).toBeLessThanOrEqual(run.endTime[0] * 1e9 + run.endTime[1]);
  });

  it('a failed step and its run carry the error status and the error', async () => {
    const steward = await useSteward({ workflows: [broken] });
    steward.worker.start();
    const handle = await steward.start('obs.broken', {});
    await expect(handle.result()).rejects.toThrow();
    const spans = await spansOf(handle.id);
    const step = spans.find((s) => s.name === 'steward.step')!;
    expect(step.status).toMatchObject({ code: SpanStatusCode.ERROR, message: expect.stringContaining('the disk is on fire') });
    expect(step.events.some((e) => e.name === 'exception')).toBe(true);
    const run = spans.find((s) => s.name === 'steward.run')!;
    expect(run.status.code).toBe(SpanStatusCode.ERROR);
    expect(run.attributes).toMatchObject({ 'steward.status': 'failed', 'error.code': 'STEWARD_STEP_FAILED' });
  });

  it("a plan run's act phases carry the plan task's id", async () => {
    const steward = await useSteward({ actions: [scale], globalAutonomy: 3 });
    steward.worker.start();
    const handle = await steward.startPlan(
      { name: 'scale', tasks: [{ id: 'scale-api', action: 'service.scale', input: { service: 'api', replicas: 2 } }] },
      { mode: 'apply' },
    );
    await handle.result();
    const spans = await spansOf(handle.id);
    const apply = spans.find((s) => s.name === 'steward.act.apply')!;
    expect(apply.attributes).toMatchObject({ task_id: 'scale-api', action: 'service.scale', resource: 'service:api', workflow: 'steward.plan' });
  });

  it('a run resumed after a suspension is a new root span of the same run_id', async () => {
    const steward = await useSteward({ workflows: [gated] });
    steward.worker.start();
    const handle = await steward.start('obs.gated', {});
    await waitForWaitKind(steward, handle.id, 'signal');
    await steward.signal(handle.id, 'go', 'now');
    expect(await handle.result()).toBe('now');
    const spans = await spansOf(handle.id, 2);
    const runs = spans.filter((s) => s.name === 'steward.run');
    expect(runs.map((s) => s.attributes['steward.status'])).toEqual(['suspended', 'succeeded']);
    expect(runs.every((s) => parentOf(s) === undefined)).toBe(true);
    expect(new Set(runs.map((s) => s.spanContext().traceId)).size).toBe(2);
    // the step ran in the second execution only
    const step = spans.find((s) => s.name === 'steward.step')!;
    expect(parentOf(step)).toBe(runs[1]!.spanContext().spanId);
  });
});
