/** `steward audit …`: verify the audit log's hash chain, and export its entries. */
import type { Command } from 'commander';
import { AuditChainBrokenError } from '../errors.js';
import { AuditLog } from '../audit/audit-log.js';
import { describeVerdict } from '../audit/chain.js';
import type { AuditEntry } from '../store/store.js';
import { openStore } from '../store/open.js';
import { createLogger } from '../observability/logger.js';
import { parseInteger } from './option-values.js';
import { printLine } from './output.js';
import { formatTable } from './table.js';
import { globalsOf, resolveStoreUrl, type GlobalOptions } from './steward-session.js';

interface ExportFlags {
  json?: boolean;
  after?: string;
  limit?: string;
}

/** Adds the `audit` command group to the program. */
export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('verify and export the hash-chained audit log');

  audit
    .command('verify')
    .description('recompute the hash chain; exit 1 naming the first broken entry')
    .action((_flags: unknown, cmd: Command) =>
      withAuditLog(globalsOf(cmd), async (log) => {
        const verdict = await log.verify();
        if (!verdict.ok) throw new AuditChainBrokenError(verdict.brokenId, verdict.reason.replace(/_/g, ' '), verdict.detail);
        printLine(describeVerdict(verdict));
      }),
    );

  audit
    .command('export')
    .description('print audit entries, oldest first')
    .option('--json', 'print one JSON entry per line')
    .option('--after <id>', 'only entries after this id', '0')
    .option('--limit <n>', 'at most this many entries')
    .action((flags: ExportFlags, cmd: Command) => {
      const after = parseInteger('--after', flags.after, 0, Number.MAX_SAFE_INTEGER) ?? 0;
      const limit = parseInteger('--limit', flags.limit, 1, Number.MAX_SAFE_INTEGER) ?? Number.POSITIVE_INFINITY;
      return withAuditLog(globalsOf(cmd), async (log) => {
        const rows: AuditEntry[] = [];
        for await (const entry of log.entries(after, limit)) {
          if (flags.json) printLine(JSON.stringify(entry));
          else rows.push(entry);
        }
        if (!flags.json) printLine(rows.length === 0 ? 'no audit entries' : formatAuditTable(rows));
      });
    });
}

/** Runs `work` with the audit log of the store the command names, and closes the store whatever happens. */
async function withAuditLog(globals: GlobalOptions, work: (log: AuditLog) => Promise<void>): Promise<void> {
  const store = await openStore(resolveStoreUrl(globals), { logger: createLogger({ level: 'warn', destination: process.stderr }) });
  try {
    await work(new AuditLog({ store }));
  } finally {
    await store.close();
  }
}

function formatAuditTable(entries: readonly AuditEntry[]): string {
  return formatTable(
    ['ID', 'AT', 'KIND', 'ACTOR', 'RUN', 'SUBJECT', 'HASH', 'DATA'],
    entries.map((e) => [
      String(e.id),
      new Date(e.at).toISOString(),
      e.kind,
      e.actor ?? '-',
      e.runId ?? '-',
      e.subject ?? '-',
      e.hash.slice(0, 12),
      JSON.stringify(e.data),
    ]),
  );
}
