/** `steward autonomy get|set`: the store-wide autonomy level, which decides what applies without a person's approval. */
import type { Command } from 'commander';
import { z } from 'zod';
import type { Controls } from '../store/store.js';
import { UsageError } from './cli-errors.js';
import { printJson, printLine } from './output.js';
import { globalsOf, withSteward } from './steward-session.js';

/** What each level lets apply alone (design §3); anything above waits for an approval. */
export const AUTONOMY_LEVELS: readonly string[] = [
  'observe: nothing applies without approval',
  'reads apply alone; write, deploy and rollback wait for approval',
  'reads and writes apply alone; deploy and rollback wait for approval',
  'everything applies alone (policy still holds)',
];

const USAGE = 'give the level as a whole number from 0 to 3: 0 observe, 1 reads alone, 2 reads and writes alone, 3 everything alone';

const levelSchema = z
  .string()
  .trim()
  .regex(/^[0-3]$/, USAGE)
  .transform(Number);

interface SetFlags {
  by?: string;
  reason?: string;
  json?: boolean;
}

function describe(level: number): string {
  return `autonomy ${level}: ${AUTONOMY_LEVELS[level] ?? 'unknown level'}`;
}

/** Adds the `autonomy` command group to the program. */
export function registerAutonomyCommands(program: Command): void {
  const autonomy = program
    .command('autonomy')
    .description('the global autonomy level: what applies without approval (0 observe … 3 everything), for every worker of the store');

  autonomy
    .command('get')
    .description('print the level and what it lets apply alone')
    .option('--json', 'print { autonomy, meaning } as JSON')
    .action((flags: { json?: boolean }, cmd: Command) =>
      withSteward(globalsOf(cmd), { logLevel: 'error' }, async (steward) => {
        const level = await steward.autonomy.get();
        if (flags.json) printJson({ autonomy: level, meaning: AUTONOMY_LEVELS[level] ?? null });
        else printLine(describe(level));
      }),
    );

  autonomy
    .command('set')
    .description('set the level for every worker of the store (audited as autonomy.changed)')
    .argument('<level>', '0 observe, 1 reads alone, 2 reads and writes alone, 3 everything alone')
    .option('--by <principal>', 'who changes it (recorded in the audit log), e.g. User::"alice"')
    .option('--reason <text>', 'why (recorded in the audit log)')
    .option('--json', 'print the controls as JSON')
    .action((value: string, flags: SetFlags, cmd: Command) => {
      const level = levelSchema.safeParse(value);
      if (!level.success) throw new UsageError(`autonomy level "${value}" is not one: ${USAGE}`);
      return withSteward(globalsOf(cmd), { logLevel: 'error' }, async (steward) => {
        const before = await steward.autonomy.get();
        const controls: Controls = await steward.autonomy.set(level.data, {
          ...(flags.by === undefined ? {} : { by: flags.by }),
          ...(flags.reason === undefined ? {} : { reason: flags.reason }),
        });
        if (flags.json) return printJson(controls);
        const change = before === controls.autonomy ? 'unchanged' : `was ${before}`;
        printLine(`${describe(controls.autonomy)} (${change}) — every worker of the store follows it; runs cap their own level at it`);
      });
    });
}
