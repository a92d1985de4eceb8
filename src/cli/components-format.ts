/** How `steward components` shows components: who wins, who is shadowed and why, and their health. */
import type { ComponentSummary, ExplainedCandidate, Explanation, HealthReport } from '../registry/index.js';
import { formatTable } from './table.js';

/** One component of `steward components list --json`: its summary and every candidate ranked. */
export interface ComponentListing extends ComponentSummary {
  selectionMissing: boolean;
  ranked: ExplainedCandidate[];
}

/** The table of `steward components list`. */
export function formatComponentList(listing: readonly ComponentListing[]): string {
  if (listing.length === 0) return 'no components are registered';
  return formatTable(
    ['COMPONENT', 'WINNER', 'SELECTED', 'ACTIVE HERE', 'STATE HERE', 'SHADOWED (SOURCE, PRIORITY, STACK LEVEL)'],
    listing.map((c) => [
      `${c.domain}/${c.key}`,
      c.winner ?? '-',
      c.selected === null ? '-' : c.selectionMissing ? `${c.selected} (not registered)` : c.selected,
      c.active ?? '-',
      c.state,
      c.ranked.filter((r) => !r.winner).map(describeShadowed).join('; ') || '-',
    ]),
  );
}

function describeShadowed(c: ExplainedCandidate): string {
  return `${c.provider} (${c.source}, ${c.priority}, ${stackLevelOf(c)})`;
}

function stackLevelOf(c: ExplainedCandidate): string {
  return c.stackLevelFrom === 'candidate' ? String(c.stackLevel) : `${c.stackLevel} by ${c.stackLevelFrom}`;
}

/** The text of `steward components explain`: the selection, then every candidate ranked with its reason. */
export function formatExplanation(e: Explanation): string {
  const selection =
    e.selected === null
      ? 'no provider is selected: precedence decides'
      : e.selectionMissing
        ? `"${e.selected}" is selected but not registered: precedence decides among the others until it is`
        : `"${e.selected}" is selected`;
  const head = `${e.domain}/${e.key}: ${e.winner ?? 'nothing'} wins; ${selection}; active in this process: ${e.active ?? 'none'}`;
  const table = formatTable(
    ['RANK', 'PROVIDER', 'SOURCE', 'PRIORITY', 'STACK LEVEL', 'REGISTERED', 'CAPABILITIES', 'REASON'],
    e.candidates.map((c) => [
      String(c.rank),
      c.provider,
      c.source,
      String(c.priority),
      stackLevelOf(c),
      `#${c.registration}`,
      c.capabilities.join(',') || '-',
      c.reason,
    ]),
  );
  return `${head}\n\n${table}`;
}

/** The line of `steward components health` for a report. */
export function formatHealth(report: HealthReport): string {
  const name = `${report.domain}/${report.key}`;
  if (report.provider === null) {
    return `${name}: ${report.state} in this process (${report.reason ?? 'no instance is active'}); add --probe to make an instance of the winner here and check it`;
  }
  const verdict = report.healthy === null ? 'not checked yet' : report.healthy ? 'healthy' : `unhealthy (${report.reason ?? 'no reason given'})`;
  const when = report.probed ? 'checked just now' : report.checkedAt === null ? 'never checked' : `last checked ${new Date(report.checkedAt).toISOString()}`;
  return `${name}: ${verdict} — provider ${report.provider}, ${report.state}, ${when} in this process, ${report.inFlight} use(s) in flight`;
}
