/** The smallest workflow: one checkpointed step. Try it with `steward run start hello --input '{"name":"Ada"}' --wait`. */
import { z } from 'zod';
import { defineWorkflow } from '../src/index.js';

/** Greets someone in one step. */
export const hello = defineWorkflow({
  name: 'hello',
  input: z.object({ name: z.string().min(1).default('world') }),
  async run(ctx, input) {
    // the step's result is stored; if the worker crashed after it, a replay would return it without running it again
    const greeting = await ctx.step('greet', () => `Hello, ${input.name}!`);
    return { greeting };
  },
});
