/** `steward kill-switch on|off|status`: the store-wide kill switch, for every worker of the store. */
import type { Command } from 'commander';
import type { Controls } from '../store/store.js';
import { printLine } from './output.js';
import { globalsOf, withSteward } from './steward-session.js';

interface SwitchFlags {
  by?: string;
  reason?: string;
  json?: boolean;
}

function describe(controls: Controls): string {
  const ks = controls.killSwitch;
  if (!ks.on) return 'kill switch: off — applies run';
  const who = ks.by === null ? '' : ` by ${ks.by}`;
  const when = ks.at === null ? '' : ` at ${new Date(ks.at).toISOString()}`;
  const why = ks.reason === null ? '' : `: ${ks.reason}`;
  return `kill switch: ON${who}${when}${why} — no apply starts; applies in flight were stopped and their runs paused`;
}

/** Adds the `kill-switch` command group to the program. */
export function registerControlCommands(program: Command): void {
  const killSwitch = program
    .command('kill-switch')
    .description('stop every apply of every worker of the store at once, and let them resume');

  for (const state of ['on', 'off'] as const) {
    killSwitch
      .command(state)
      .description(state === 'on' ? 'turn it on: no apply starts; applies in flight abort and their runs pause' : 'turn it off: paused runs resume')
      .option('--by <principal>', 'who turns it (recorded in the audit log), e.g. User::"alice"')
      .option('--reason <text>', 'why (recorded in the audit log)')
      .option('--json', 'print the controls as JSON')
      .action((flags: SwitchFlags, cmd: Command) =>
        withSteward(globalsOf(cmd), { logLevel: 'error' }, async (steward) => {
          const controls = await steward.killSwitch(state === 'on', {
            ...(flags.by === undefined ? {} : { by: flags.by }),
            ...(flags.reason === undefined ? {} : { reason: flags.reason }),
          });
          printLine(flags.json ? JSON.stringify(controls) : describe(controls));
        }),
      );
  }

  killSwitch
    .command('status')
    .description('say whether it is on, since when, by whom and why')
    .option('--json', 'print the controls as JSON')
    .action((flags: SwitchFlags, cmd: Command) =>
      withSteward(globalsOf(cmd), { logLevel: 'error' }, async (steward) => {
        const controls = await steward.controls();
        printLine(flags.json ? JSON.stringify(controls) : describe(controls));
      }),
    );
}
