/** `steward policy …`: check Cedar policy files against Steward's schema, and try a request against a policy set. */
import type { Command } from 'commander';
import { parsePrincipalText, POLICY_ACTIONS } from '../policy/request.js';
import { UsageError } from './cli-errors.js';
import { parseJsonOption, parseList } from './option-values.js';
import { printJson, printLine } from './output.js';

interface TestFlags {
  principal: string;
  roles?: string;
  action: string;
  resourceJson: string;
  contextJson: string;
  policies?: string[];
  defaults: boolean;
  json?: boolean;
}

const repeatable = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** Adds the `policy` command group to the program. */
export function registerPolicyCommands(program: Command): void {
  const policy = program.command('policy').description('check Cedar policy files and try requests against them');

  policy
    .command('check')
    .description("validate .cedar files (or directories of them) against Steward's schema, together with the default policies")
    .argument('<files...>', '.cedar files or directories')
    .option('--json', 'print { ok, policies: [{ id, file }] } as JSON')
    .action((files: string[], flags: { json?: boolean }) => checkPolicies(files, flags));

  policy
    .command('test')
    .description('decide one request against the default policies plus --policies, and print the decision and the deciding policies')
    .requiredOption('--principal <entity>', 'who asks, as Type::"id" (Type: User, Agent or Service), e.g. User::"alice"')
    .option('--roles <roles>', "the principal's roles, comma-separated (e.g. approver)")
    .requiredOption('--action <action>', `one of ${POLICY_ACTIONS.join(', ')}`)
    .requiredOption('--resource-json <json>', 'the resource as JSON { name, category, network }, or @file.json')
    .requiredOption('--context-json <json>', 'the context as JSON { autonomy, mode, reason?, approved?, budgets? }, or @file.json')
    .option('--policies <path>', 'a .cedar file or a directory of them; repeatable', repeatable)
    .option('--no-defaults', "leave out Steward's default policies")
    .option('--json', 'print the decision as JSON')
    .action((flags: TestFlags) => testRequest(flags));
}

// The evaluator (WebAssembly) is loaded on first use, so that other commands do not pay for it.
async function checkPolicies(paths: readonly string[], flags: { json?: boolean }): Promise<void> {
  const { compilePolicySet, DEFAULT_POLICIES, DEFAULT_POLICY_FILE, readPolicySources } = await import('../policy/loader.js');
  const sources = readPolicySources(paths);
  const set = compilePolicySet([{ file: DEFAULT_POLICY_FILE, text: DEFAULT_POLICIES }, ...sources]);
  const checked = set.policies.filter((p) => p.file !== DEFAULT_POLICY_FILE);
  if (flags.json) {
    printJson({ ok: true, files: sources.map((s) => s.file), policies: checked.map((p) => ({ id: p.id, file: p.file })) });
    return;
  }
  const files = sources.length === 1 ? '1 file' : `${sources.length} files`;
  const policies = checked.length === 1 ? '1 policy' : `${checked.length} policies`;
  printLine(`ok: ${files}, ${policies} valid against the schema${checked.length > 0 ? ` (${checked.map((p) => p.id).join(', ')})` : ''}`);
}

async function testRequest(flags: TestFlags): Promise<void> {
  const { PolicyEngine } = await import('../policy/engine.js');
  const engine = PolicyEngine.load({ paths: flags.policies ?? [], defaults: flags.defaults, cacheSize: 0 });
  const roles = parseList(flags.roles);
  const request = {
    principal: principalOf(flags.principal, roles),
    action: flags.action,
    resource: parseJsonOption('--resource-json', flags.resourceJson),
    context: parseJsonOption('--context-json', flags.contextJson),
  };
  const decision = engine.authorize(request);
  if (flags.json) {
    printJson(decision);
    return;
  }
  const deciding = decision.policies.length > 0 ? decision.policies.join(', ') : decision.decision === 'deny' ? 'no policy permits it' : '';
  printLine(`${decision.decision} (${deciding})`);
  for (const error of decision.errors) printLine(`policy error: ${error}`);
}

/** `User::"alice"` with `--roles` becomes `{ type, id, roles }`; the engine checks the rest. */
function principalOf(text: string, roles: string[] | undefined): unknown {
  if (roles === undefined) return text;
  const principal = parsePrincipalText(text);
  if (principal === null) throw new UsageError(`--principal takes Type::"id" (User, Agent or Service), e.g. User::"alice", not ${JSON.stringify(text)}`);
  return { ...principal, roles };
}
