/** Reading a /metrics page as the tests need it: families by name, and one series' value by its labels. */
import parsePrometheusTextFormat, { type PrometheusFamily, type PrometheusSample } from 'parse-prometheus-text-format';

/** A parsed scrape. */
export interface Scrape {
  families: Map<string, PrometheusFamily>;
  /** The value of the sample of `name` whose labels include `labels` (0 when there is none), for counters and gauges. */
  value(name: string, labels?: Record<string, string>): number;
  /** The observation count of the histogram series of `name` whose labels include `labels` (0 when there is none). */
  count(name: string, labels?: Record<string, string>): number;
}

function matching(family: PrometheusFamily | undefined, labels: Record<string, string>): PrometheusSample | undefined {
  return family?.metrics.find((sample) => Object.entries(labels).every(([key, value]) => sample.labels?.[key] === value));
}

/**
 * Parses the Prometheus text format. The parser folds the series of a labelled histogram into one and drops their
 * labels, so histogram series are read from a second parse in which histograms are declared untyped: there the
 * `<name>_count` lines are samples of families of that name, labels kept.
 */
export function parseScrape(text: string): Scrape {
  const families = new Map(parsePrometheusTextFormat(text).map((family) => [family.name, family]));
  const flat = parsePrometheusTextFormat(text.replace(/^(# TYPE \S+) histogram$/gm, '$1 untyped'));
  // the series of one histogram interleave, so each run of `_count` lines comes out as a family of its own
  const counts = (name: string): PrometheusFamily => ({ name, help: '', type: 'UNTYPED', metrics: flat.filter((f) => f.name === name).flatMap((f) => f.metrics) });
  return {
    families,
    value: (name, labels = {}) => Number(matching(families.get(name), labels)?.value ?? 0),
    count: (name, labels = {}) => Number(matching(counts(`${name}_count`), labels)?.value ?? 0),
  };
}
