/** `steward breakers list|reset`: the circuit breakers of actions, shared by every worker of the store. */
import type { Command } from 'commander';
import { z } from 'zod';
import { systemClock } from '../domain/clock.js';
import { ActionBudgetGuard } from '../engine/budgets.js';
import { createLogger } from '../observability/logger.js';
import { openStore } from '../store/open.js';
import type { BreakerStatus, Store } from '../store/store.js';
import { UsageError } from './cli-errors.js';
import { printJson, printLine } from './output.js';
import { globalsOf, resolveStoreUrl, type GlobalOptions } from './steward-session.js';
import { formatTable } from './table.js';

interface ListFlags {
  json?: boolean;
}

interface ResetFlags {
  by?: string;
  reason?: string;
  json?: boolean;
}

const resetSchema = z.object({
  action: z.string().trim().min(1, 'name the action whose breaker to close, e.g. steward breakers reset service.deploy --reason "target fixed"'),
  reason: z
    .string({ error: 'give --reason TEXT: why the breaker may close (it is recorded in the audit log)' })
    .trim()
    .min(1, 'give --reason TEXT: why the breaker may close (it is recorded in the audit log)')
    .max(2000, '--reason takes at most 2000 characters'),
  by: z.string().trim().min(1, '--by is empty: give a principal such as User::"alice"').max(256, '--by takes at most 256 characters').optional(),
  json: z.boolean().optional(),
});

/** Adds the `breakers` command group to the program. */
export function registerBreakerCommands(program: Command): void {
  const breakers = program
    .command('breakers')
    .description('see the circuit breakers of actions, and close one by hand once its target is fixed');

  breakers
    .command('list')
    .description('list every action whose applies ever failed, with its breaker: closed, open or half-open')
    .option('--json', 'print the breakers as JSON')
    .action((flags: ListFlags, cmd: Command) =>
      withGuard(globalsOf(cmd), async (guard) => {
        const all = await guard.list();
        if (flags.json) printJson(all);
        else printLine(all.length === 0 ? 'no breakers: no apply of any action has failed' : formatBreakers(all, systemClock.now()));
      }),
    );

  breakers
    .command('reset')
    .description('close an action’s breaker by hand and forget its failures, audited')
    .argument('<action>', 'the action, e.g. service.deploy')
    .option('--reason <text>', 'why it may close (required; recorded in the audit log)')
    .option('--by <principal>', 'who closes it (recorded in the audit log), e.g. User::"alice"')
    .option('--json', 'print the breaker as JSON')
    .action((action: string, flags: ResetFlags, cmd: Command) => {
      const parsed = resetSchema.safeParse({ action, reason: flags.reason, by: flags.by, json: flags.json });
      if (!parsed.success) throw new UsageError(parsed.error.issues.map((i) => i.message).join('; '));
      const { reason, by, json } = parsed.data;
      return withGuard(globalsOf(cmd), async (guard, store) => {
        const before = await store.getBreaker(parsed.data.action);
        const after = await guard.reset(parsed.data.action, { reason, ...(by === undefined ? {} : { by }) });
        if (json) printJson(after);
        else printLine(describeReset(before, after, by));
      });
    });
}

/** Runs `work` with a guard on the store the command names, and closes the store whatever happens. */
async function withGuard(
  globals: GlobalOptions,
  work: (guard: ActionBudgetGuard, store: Store) => Promise<void>,
): Promise<void> {
  const store = await openStore(resolveStoreUrl(globals), { logger: createLogger({ level: 'warn', destination: process.stderr }) });
  try {
    await work(new ActionBudgetGuard(store, systemClock), store);
  } finally {
    await store.close();
  }
}

function describeReset(before: BreakerStatus | null, after: BreakerStatus, by: string | undefined): string {
  const who = by === undefined ? '' : ` by ${by}`;
  const was =
    before === null || before.state === 'closed'
      ? `it was already closed; ${before?.failures ?? 0} failure(s) forgotten`
      : `it was ${before.state.replace('_', '-')} after ${before.failures} consecutive failed applies`;
  return `breaker of ${after.action}: closed${who} (${was}) — applies of it start again`;
}

function formatBreakers(all: readonly BreakerStatus[], now: number): string {
  return formatTable(
    ['ACTION', 'STATE', 'FAILURES', 'OPENED', 'NEXT PROBE', 'LAST ERROR'],
    all.map((b) => [
      b.action,
      stateOf(b, now),
      String(b.failures),
      b.openedAt === null ? '-' : new Date(b.openedAt).toISOString(),
      b.state === 'closed' || b.probeAt === null ? '-' : new Date(b.probeAt).toISOString(),
      b.lastError ?? '-',
    ]),
  );
}

function stateOf(b: BreakerStatus, now: number): string {
  switch (b.state) {
    case 'closed':
      return 'closed';
    case 'open':
      return b.probeAt !== null && b.probeAt <= now ? 'open (probe due)' : 'open';
    case 'half_open':
      return 'half-open (probe in flight)';
    default: {
      const never: never = b.state;
      return never;
    }
  }
}
