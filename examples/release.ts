/**
 * A release pipeline: build, test, let the build bake, wait for a person to approve, deploy, then announce it in a
 * child workflow. The steps only compute plausible results; nothing is really built or deployed.
 *
 *   steward run start release --input '{"service":"web","version":"1.2.3"}'
 *   steward run signal <id> approve --payload '{"by":"alice"}'
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { defineWorkflow } from '../src/index.js';

/** Posts a message to a chat channel (here: writes it to the log). */
export const notify = defineWorkflow({
  name: 'notify',
  input: z.object({ channel: z.string().min(1), message: z.string().min(1) }),
  async run(ctx, input) {
    const sentAt = await ctx.now();
    await ctx.step('post', () => {
      ctx.log.info('notification posted', { channel: input.channel, message: input.message });
      return { posted: true };
    });
    return { channel: input.channel, sentAt: new Date(sentAt).toISOString() };
  },
});

const releaseInput = z.object({
  service: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'use a lower-case service name such as "web"'),
  version: z.string().regex(/^\d+\.\d+\.\d+$/, 'use a semantic version such as "1.2.3"'),
});

/** What an approver may send with the `approve` signal. */
const approval = z.object({ by: z.string().min(1).optional(), note: z.string().optional() }).nullable();

/** Builds, tests, bakes, waits for approval, deploys and announces one version of a service. */
export const release = defineWorkflow({
  name: 'release',
  input: releaseInput,
  async run(ctx, { service, version }) {
    const build = await ctx.step('build', () => {
      const digest = createHash('sha256').update(`${service}@${version}`).digest('hex').slice(0, 16);
      return { image: `registry.example.com/${service}:${version}`, digest: `sha256:${digest}` };
    });
    const tests = await ctx.step('test', () => ({ passed: 42, failed: 0 }));

    // a durable timer: the run holds no worker while it sleeps, and a restart does not sleep again from the start
    await ctx.sleep('bake', 2000);

    // wait up to 10 minutes for `steward run signal <id> approve`; without it the run fails with STEWARD_WAIT_TIMEOUT
    const approved = approval.parse(await ctx.waitFor('approve', { timeoutMs: 10 * 60_000 })) ?? {};

    const deployment = await ctx.step('deploy', (step) => {
      ctx.log.info('deploying', { image: build.image, idempotencyKey: step.idempotencyKey });
      return { url: `https://${service}.example.com`, replicas: 3 };
    });

    // a child run: started durably, and awaited without holding a worker
    await ctx.child(notify, {
      channel: '#releases',
      message: `${service} ${version} is live at ${deployment.url} (approved by ${approved.by ?? 'someone'})`,
    });
    return { service, version, image: build.image, tests, approvedBy: approved.by ?? null, url: deployment.url };
  },
});
