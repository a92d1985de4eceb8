/** A workflow with a step and an act (plan, apply, verify), and one whose step fails, for the metrics and span stories. */
import { z } from 'zod';
import { defineAction, defineWorkflow } from '../../src/index.js';

/** Scales a service: plans the new count, applies it, verifies it. */
export const scale = defineAction({
  name: 'service.scale',
  category: 'write',
  input: z.object({ service: z.string(), replicas: z.number().int() }),
  resource: (input) => `service:${input.service}`,
  plan: (input) => ({ service: input.service, to: input.replicas }),
  apply: (plan) => ({ replicas: plan.to }),
  verify: (outcome) => ({ ok: outcome.replicas >= 0 }),
});

/** Looks the service up in a step, then scales it. */
export const deploy = defineWorkflow({
  name: 'obs.deploy',
  input: z.object({ service: z.string(), replicas: z.number().int() }),
  run: async (ctx, input) => {
    const found = await ctx.step('look-up', () => ({ service: input.service }));
    const result = await ctx.act(scale, { service: found.service, replicas: input.replicas });
    return result.status;
  },
});

/** A step that fails for good on its first attempt. */
export const broken = defineWorkflow({
  name: 'obs.broken',
  input: z.object({}),
  run: async (ctx) => {
    await ctx.step('explode', () => {
      throw Object.assign(new Error('the disk is on fire'), { retryable: false });
    }, { maxAttempts: 1 });
    return 'unreachable';
  },
});
