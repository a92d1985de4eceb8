/**
 * `steward approvals list|show|approve|deny`: the approvals inbox of the store. An act that needs a person's approval
 * waits (its run `waiting` for `approval`, holding no worker) until someone decides here; the run then resumes on a
 * worker of its queue and applies the approved plan, or fails with `STEWARD_APPROVAL_DENIED`.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { systemClock } from '../domain/clock.js';
import type { Steward } from '../engine/steward.js';
import { redact } from '../store/open.js';
import type { ApprovalRecord, ApprovalStatus } from '../store/store.js';
import { decisionCommands, formatApprovalDetail, formatApprovalTable, shellQuote } from './approval-format.js';
import { UsageError } from './cli-errors.js';
import { parseChoices, parseInteger, parseList } from './option-values.js';
import { printJson, printLine, printNote } from './output.js';
import { globalsOf, withSteward, type GlobalOptions } from './steward-session.js';

const STATUSES: readonly ApprovalStatus[] = ['pending', 'approved', 'denied', 'expired'];

interface ListFlags {
  status?: string[];
  all?: boolean;
  run?: string;
  limit?: string;
  json?: boolean;
}

interface DecideFlags {
  as?: string;
  role?: string[];
  reason?: string;
  planHash?: string;
  json?: boolean;
}

/** Collects a repeatable option's values. */
const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

const HOW_TO_SAY_WHO =
  `say who decides: --as 'User::"alice"', or set STEWARD_PRINCIPAL='User::"alice"' (and STEWARD_ROLES=approver, comma-separated, for the roles)`;

const decisionSchema = z.object({
  principal: z.string({ error: HOW_TO_SAY_WHO }).trim().min(1, HOW_TO_SAY_WHO),
  roles: z.array(z.string()),
  reason: z.string().trim().max(2000, '--reason takes at most 2000 characters').optional(),
  planHash: z
    .string()
    .regex(/^[0-9a-f]{64}$/, '--plan-hash takes the 64 hex digits of the plan hash printed by steward approvals show')
    .optional(),
});

/** Adds the `approvals` command group to the program. */
export function registerApprovalCommands(program: Command): void {
  const approvals = program
    .command('approvals')
    .description('the approvals inbox: see what waits for a person, and approve or deny it');

  approvals
    .command('list')
    .description('list approval requests, oldest first (pending ones unless --status or --all says otherwise)')
    .option('--status <status>', `only this status (${STATUSES.join(', ')}); repeatable, or comma-separated`, collect)
    .option('--all', 'every status')
    .option('--run <id>', 'only the requests of this run')
    .option('--limit <n>', 'at most this many (1 to 1000, default 100)')
    .option('--json', 'print { approvals: [...] } as JSON')
    .action((flags: ListFlags, cmd: Command) => listApprovals(globalsOf(cmd), flags));

  approvals
    .command('show')
    .description('show one request in full: the plan, its hash, and the command that approves exactly it')
    .argument('<id>', 'the approval id (from steward approvals list)')
    .option('--json', 'print the request as JSON')
    .action((id: string, flags: { json?: boolean }, cmd: Command) => {
      const globals = globalsOf(cmd);
      return withSteward(globals, { logLevel: 'warn' }, async (steward) => {
        const approval = await steward.approvals.get(id);
        if (flags.json) return printJson(approval);
        const roles = parseList(process.env.STEWARD_ROLES);
        const who = { ...nonEmpty('principal', process.env.STEWARD_PRINCIPAL), ...(roles === undefined ? {} : { roles }) };
        printLine(formatApprovalDetail(approval, systemClock.now(), decisionCommands(approval, who, storeFlag(globals))));
      });
    });

  for (const verb of ['approve', 'deny'] as const) {
    approvals
      .command(verb)
      .description(
        verb === 'approve'
          ? 'approve a pending request: the waiting run applies exactly its plan, once'
          : 'deny a pending request: the waiting act fails and applies nothing',
      )
      .argument('<id>', 'the approval id (from steward approvals list)')
      .option('--as <principal>', 'who decides, e.g. User::"alice" (default: $STEWARD_PRINCIPAL)')
      .option('--role <role>', "the decider's role, for policy; repeatable (default: $STEWARD_ROLES, comma-separated)", collect)
      .option('--reason <text>', verb === 'approve' ? 'the reason-for-access (required for write, deploy and rollback)' : 'why it is denied (required)')
      .option('--plan-hash <hash>', 'refuse unless the plan waiting is the one you reviewed (its hash, from steward approvals show)')
      .option('--json', 'print the decided request as JSON')
      .action((id: string, flags: DecideFlags, cmd: Command) => decide(globalsOf(cmd), verb, id, flags));
  }
}

async function listApprovals(globals: GlobalOptions, flags: ListFlags): Promise<void> {
  if (flags.all && flags.status !== undefined) throw new UsageError('give --status or --all, not both: --all lists every status');
  const status = flags.all ? [...STATUSES] : statusesOf(flags.status);
  const limit = parseInteger('--limit', flags.limit, 1, 1000);
  await withSteward(globals, { logLevel: 'warn' }, async (steward) => {
    const found = await steward.approvals.list({
      ...(status === undefined ? {} : { status }),
      ...(flags.run === undefined ? {} : { runId: flags.run }),
      ...(limit === undefined ? {} : { limit }),
    });
    if (flags.json) return printJson({ approvals: found });
    if (found.length === 0) {
      printLine(`no ${status === undefined ? 'pending ' : ''}approvals${flags.run === undefined ? '' : ` for run ${flags.run}`}`);
      return;
    }
    printLine(formatApprovalTable(found, systemClock.now()));
    if (found.some((a) => a.status === 'pending')) printNote(`\nsee a request's plan, and the command that approves it: steward approvals show ID${storeFlag(globals)}`);
  });
}

/** The statuses of every `--status`, each possibly comma-separated. */
function statusesOf(values: readonly string[] | undefined): ApprovalStatus[] | undefined {
  if (values === undefined) return undefined;
  return values.flatMap((value) => parseChoices('--status', value, STATUSES) ?? []);
}

async function decide(globals: GlobalOptions, verb: 'approve' | 'deny', id: string, flags: DecideFlags): Promise<void> {
  const parsed = decisionSchema.safeParse({
    principal: flags.as ?? process.env.STEWARD_PRINCIPAL,
    roles: flags.role === undefined ? (parseList(process.env.STEWARD_ROLES) ?? []) : flags.role.flatMap((r) => parseList(r) ?? []),
    reason: flags.reason,
    planHash: flags.planHash,
  });
  if (!parsed.success) throw new UsageError(parsed.error.issues.map((i) => i.message).join('; '));
  const { principal, roles, reason, planHash } = parsed.data;
  if (verb === 'deny' && (reason === undefined || reason === '')) {
    throw new UsageError(`give --reason TEXT: why ${id} is denied (it is recorded with the decision and in the audit log)`);
  }
  await withSteward(globals, { logLevel: 'warn' }, async (steward) => {
    const options = { principal, roles, ...(reason === undefined ? {} : { reason }), ...(planHash === undefined ? {} : { planHash }) };
    const decided = verb === 'approve' ? await steward.approvals.approve(id, options) : await steward.approvals.deny(id, options);
    if (flags.json) return printJson(decided);
    printLine(await describeDecision(steward, decided));
  });
}

/** One line: what was decided, by whom, and what the waiting run does now. */
async function describeDecision(steward: Steward, approval: ApprovalRecord): Promise<string> {
  const run = await steward.run(approval.runId);
  const what = `${approval.action} on ${approval.resource} (run ${approval.runId})`;
  const why = approval.reason === null ? '' : `: ${JSON.stringify(approval.reason)}`;
  const next =
    approval.status === 'approved'
      ? `the waiting run resumes on a worker of queue "${run.queue}" and applies exactly this plan`
      : `the waiting run resumes on a worker of queue "${run.queue}", where the act fails with STEWARD_APPROVAL_DENIED and applies nothing`;
  return `${approval.status} ${approval.id}, ${what}, as ${approval.decidedBy ?? '-'}${why} — ${next}`;
}

/** The `--store` flag that points a printed command at the same store. */
function storeFlag(globals: GlobalOptions): string {
  return globals.store === undefined ? '' : ` --store ${shellQuote(redact(globals.store))}`;
}

function nonEmpty<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined || value.trim() === '' ? {} : ({ [key]: value.trim() } as Record<K, string>);
}
