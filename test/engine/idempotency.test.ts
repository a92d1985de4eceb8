/** Starting a run with an idempotency key never makes a second run. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineWorkflow } from '../../src/index.js';
import { createdRunIds } from '../helpers/runs.js';
import { useSteward } from '../helpers/steward.js';

function countingWorkflow() {
  const calls = { count: 0 };
  const wf = defineWorkflow({
    name: 'payment.capture',
    input: z.object({ orderId: z.string() }),
    async run(ctx, input) {
      return ctx.step('capture', () => {
        calls.count += 1;
        return `captured ${input.orderId}`;
      });
    },
  });
  return { wf, calls };
}

describe('idempotency', () => {
  it('100 concurrent starts with one idempotency key make exactly one run, executed once', async () => {
    const { wf, calls } = countingWorkflow();
    const steward = await useSteward({ workflows: [wf] });

    const handles = await Promise.all(
      Array.from({ length: 100 }, () => steward.start('payment.capture', { orderId: 'o-1' }, { idempotencyKey: 'capture:o-1' })),
    );
    steward.worker.start();
    const output = await handles[0]!.result({ timeoutMs: 15_000 });

    expect(new Set(handles.map((h) => h.id)).size).toBe(1);
    expect(handles.filter((h) => h.created)).toHaveLength(1);
    expect(await createdRunIds(steward)).toEqual([handles[0]!.id]);
    expect(output).toBe('captured o-1');
    expect(calls.count).toBe(1);
  });

  it('concurrent starts with one key through two Stewards on one database make exactly one run', async () => {
    const { wf } = countingWorkflow();
    const a = await useSteward({ workflows: [wf] });
    const b = await useSteward({ workflows: [wf], dbPath: a.dbPath });

    const handles = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        (i % 2 === 0 ? a : b).start('payment.capture', { orderId: 'o-2' }, { idempotencyKey: 'capture:o-2' }),
      ),
    );

    expect(new Set(handles.map((h) => h.id)).size).toBe(1);
    expect(handles.filter((h) => h.created)).toHaveLength(1);
    expect(await createdRunIds(a)).toEqual([handles[0]!.id]);
  });

  it('a key that already ran returns the finished run instead of running again', async () => {
    const { wf, calls } = countingWorkflow();
    const steward = await useSteward({ workflows: [wf] });
    steward.worker.start();
    const first = await steward.start('payment.capture', { orderId: 'o-3' }, { idempotencyKey: 'capture:o-3' });
    await first.result({ timeoutMs: 15_000 });

    const again = await steward.start('payment.capture', { orderId: 'o-3' }, { idempotencyKey: 'capture:o-3' });

    expect(again).toMatchObject({ id: first.id, created: false });
    expect(await again.result()).toBe('captured o-3');
    expect(calls.count).toBe(1);
  });
});
