/** The `steward` command line: its global options and its command groups. */
import { Command } from 'commander';
import { registerApprovalCommands } from './approvals.js';
import { registerAuditCommands } from './audit.js';
import { registerAutonomyCommands } from './autonomy.js';
import { registerBreakerCommands } from './breakers.js';
import { registerComponentCommands } from './components.js';
import { registerControlCommands } from './controls.js';
import { registerManifestCommands } from './manifest.js';
import { registerPlanCommands } from './plan.js';
import { registerPolicyCommands } from './policy.js';
import { registerRunCommands } from './run.js';
import { registerUpCommand } from './up.js';
import { registerWorkerCommands } from './worker.js';
import { registerTokenCommands } from './tokens.js';

/** Builds the program; errors are thrown to the caller instead of exiting (see main.ts). */
export function buildProgram(): Command {
  const program = new Command('steward')
    .description('Durable, safe execution of the actions of agents and automations.')
    .option(
      '--store <url>',
      'the store: sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE[?schema=NAME] (default: $STEWARD_DATABASE_URL, else sqlite:./.steward/steward.db)',
    )
    .option(
      '--module <path>',
      'a JavaScript module exporting workflows and actions; repeatable (default: $STEWARD_MODULES, comma-separated, else the bundled examples)',
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .configureHelp({ showGlobalOptions: true })
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({ outputError: () => undefined });
  registerUpCommand(program);
  registerWorkerCommands(program);
  registerRunCommands(program);
  registerPlanCommands(program);
  registerAuditCommands(program);
  registerControlCommands(program);
  registerPolicyCommands(program);
  registerBreakerCommands(program);
  registerApprovalCommands(program);
  registerAutonomyCommands(program);
  registerManifestCommands(program);
  registerComponentCommands(program);
  registerTokenCommands(program);
  return program;
}
