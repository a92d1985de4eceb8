/**
 * Reading a plan document from YAML or JSON text. Every problem is reported at once, each with the JSON path of the
 * value (`tasks[2].dependsOn[0]`), its line and column in the text, and how to mend it.
 */
import { isMap, isNode, isPair, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { PlanInvalidError, type PlanIssue } from '../errors.js';
import type { ActionDefinition } from '../domain/action.js';
import { checkPlanDocument, formatPath, planShapeSchema, type DocumentIssue, type PlanDocument } from './plan-document.js';

/** The text formats of a plan document. */
export type PlanFormat = 'yaml' | 'json';

/** How to read a plan's text. */
export interface ParsePlanOptions {
  /** What the text is called in messages: its file name, or `text`. */
  source?: string;
  /** The format; by default the source's extension says (`.json`, `.yaml`, `.yml`), else YAML (which reads JSON too). */
  format?: PlanFormat;
  /** The registered actions the tasks may name. */
  actions: ReadonlyMap<string, ActionDefinition>;
}

/** Parses and checks a plan document; a bad one is a `PlanInvalidError` listing every problem found. */
export function parsePlanText(text: string, options: ParsePlanOptions): PlanDocument {
  const source = options.source ?? 'text';
  const format = options.format ?? formatOf(source);
  if (format === 'json') checkJsonSyntax(text, source);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new PlanInvalidError(
      source,
      doc.errors.map((error) => ({
        path: '',
        message: `${format === 'json' ? 'JSON' : 'YAML'} syntax: ${firstLine(error.message)}`,
        ...(error.linePos ? { line: error.linePos[0].line, column: error.linePos[0].col } : {}),
      })),
    );
  }
  const value: unknown = doc.toJS({ maxAliasCount: 100 });
  const shaped = planShapeSchema.safeParse(value);
  if (!shaped.success) throw new PlanInvalidError(source, inTextOrder(shaped.error.issues.flatMap((issue) => locateZodIssue(issue, doc, lines))));
  const document = shaped.data as PlanDocument;
  const issues = checkPlanDocument(document, options.actions);
  if (issues.length > 0) throw new PlanInvalidError(source, inTextOrder(issues.map((issue) => locate(issue, doc, lines))));
  return document;
}

/** Checks a plan document given as an object (no text, so no lines); a bad one is a `PlanInvalidError`. */
export function checkPlanObject(value: unknown, options: { source?: string; actions: ReadonlyMap<string, ActionDefinition> }): PlanDocument {
  const source = options.source ?? 'document';
  const shaped = planShapeSchema.safeParse(value);
  if (!shaped.success) {
    throw new PlanInvalidError(source, shaped.error.issues.map((issue) => ({ path: formatPath(issue.path), message: mendZodMessage(issue) })));
  }
  const document = shaped.data as PlanDocument;
  const issues = checkPlanDocument(document, options.actions);
  if (issues.length > 0) throw new PlanInvalidError(source, issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message })));
  return document;
}

/** The issues as they come in the text, top to bottom (a stable sort: those without a position keep their place at the end). */
function inTextOrder(issues: PlanIssue[]): PlanIssue[] {
  const key = (issue: PlanIssue): number => (issue.line === undefined ? Number.MAX_SAFE_INTEGER : issue.line * 100_000 + (issue.column ?? 0));
  return [...issues].sort((a, b) => key(a) - key(b));
}

function formatOf(source: string): PlanFormat {
  return /\.json$/i.test(source) ? 'json' : 'yaml';
}

/** JSON is stricter than the YAML that reads it: refuse what JSON.parse refuses, at its line and column. */
function checkJsonSyntax(text: string, source: string): void {
  try {
    JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const position = /at position (\d+)/.exec(message);
    const at = position ? lineAndColumn(text, Number(position[1])) : undefined;
    throw new PlanInvalidError(source, [{ path: '', message: `JSON syntax: ${message.replace(/\s*\(line \d+ column \d+\)/, '')}`, ...at }]);
  }
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}

/** Where a zod issue of the shape points; an unknown key is located at the key itself. */
function locateZodIssue(issue: z.core.$ZodIssue, doc: Document, lines: LineCounter): PlanIssue[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => locate({ path: [...issue.path, key], message: unknownKeyMessage(issue.path, key) }, doc, lines, true));
  }
  return [locate({ path: issue.path, message: mendZodMessage(issue) }, doc, lines)];
}

function mendZodMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => unknownKeyMessage(issue.path, key)).join('; ');
  return issue.message;
}

function unknownKeyMessage(path: readonly PropertyKey[], key: string): string {
  const inTask = path.length === 2 && path[0] === 'tasks';
  const allowed = inTask ? 'a task has id, action, input and dependsOn' : 'a plan has version, name, goal and tasks';
  return `unknown key "${key}": ${allowed}; remove it or fix its spelling`;
}

/**
 * The line and column of a path in the parsed text: the value itself, or for a missing one the nearest enclosing
 * value; with `atKey`, the key of the last step instead of its value.
 */
function locate(issue: DocumentIssue, doc: Document, lines: LineCounter, atKey = false): PlanIssue {
  const located: PlanIssue = { path: formatPath(issue.path), message: issue.message };
  const offset = offsetOf(doc, issue.path, atKey);
  if (offset === undefined) return located;
  const pos = lines.linePos(offset);
  return { ...located, line: pos.line, column: pos.col };
}

function offsetOf(doc: Document, path: readonly PropertyKey[], atKey: boolean): number | undefined {
  for (let depth = path.length; depth >= 0; depth -= 1) {
    const prefix = path.slice(0, depth);
    if (atKey && depth === path.length && depth > 0) {
      const parentPath = prefix.slice(0, -1);
      const parent: unknown = parentPath.length === 0 ? doc.contents : doc.getIn(parentPath, true);
      if (isMap(parent)) {
        const pair = parent.items.find((item) => isPair(item) && isScalar(item.key) && item.key.value === prefix[prefix.length - 1]);
        if (pair && isNode(pair.key) && pair.key.range) return pair.key.range[0];
      }
      continue;
    }
    const node: unknown = depth === 0 ? doc.contents : doc.getIn(prefix, true);
    if (isNode(node) && node.range) return node.range[0];
  }
  return undefined;
}
