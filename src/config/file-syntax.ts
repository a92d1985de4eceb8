/**
 * The three text formats of the configuration file, read into plain values together with a way to find where a key
 * path is written. A syntax error is a `ConfigInvalidError` at the line and column the parser reports.
 */
import { isMap, isNode, isPair, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { parse as parseToml, TomlError } from 'smol-toml';
import { ConfigInvalidError } from '../errors.js';
import { tomlKeyPositions, type TextPosition } from './toml-positions.js';

/** The formats a configuration file may be written in. */
export type ConfigFormat = 'toml' | 'yaml' | 'json';

/** Finds where a key path is written: the key itself with `atKey`, else its value; the nearest enclosing key when it is missing. */
export type Locate = (path: readonly PropertyKey[], atKey: boolean) => TextPosition | undefined;

/** A configuration text read into values, with where its keys are. */
export interface ParsedConfigText {
  readonly value: unknown;
  readonly locate: Locate;
}

/** Reads a configuration text; `file` names it in errors. */
export function parseConfigSyntax(text: string, format: ConfigFormat, file: string): ParsedConfigText {
  switch (format) {
    case 'toml':
      return parseTomlText(text, file);
    case 'yaml':
      return parseYamlText(text, file, 'YAML');
    case 'json':
      return parseJsonText(text, file);
    default: {
      const never: never = format;
      throw new Error(`unknown configuration format ${String(never)}`);
    }
  }
}

function parseTomlText(text: string, file: string): ParsedConfigText {
  let value: unknown;
  try {
    value = parseToml(text);
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    const message = (error.message.split('\n')[0] ?? error.message).replace(/^Invalid TOML document:\s*/, '');
    throw syntaxError(file, `TOML syntax: ${message}`, { line: error.line, column: error.column }, error);
  }
  const positions = tomlKeyPositions(text);
  const locate: Locate = (path) => {
    for (let depth = path.length; depth > 0; depth--) {
      const found = positions.get(JSON.stringify(path.slice(0, depth)));
      if (found) return found;
    }
    return undefined;
  };
  return { value, locate };
}

/** JSON is read twice: by `JSON.parse` for its values and strictness, and by the YAML parser for where its keys are. */
function parseJsonText(text: string, file: string): ParsedConfigText {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const lineColumn = /\(line (\d+) column (\d+)\)/.exec(message);
    const offset = /at position (\d+)/.exec(message);
    const at = lineColumn
      ? { line: Number(lineColumn[1]), column: Number(lineColumn[2]) }
      : offset
        ? positionOf(text, Number(offset[1]))
        : undefined;
    throw syntaxError(file, `JSON syntax: ${message.replace(/\s*\(line \d+ column \d+\)/, '').replace(/ in JSON at position \d+/, '')}`, at, error);
  }
  const { locate } = parseYamlText(text, file, 'JSON');
  return { value, locate };
}

function parseYamlText(text: string, file: string, what: 'YAML' | 'JSON'): ParsedConfigText {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: true });
  const error = doc.errors[0];
  if (error) {
    const message = (error.message.split('\n')[0] ?? error.message).replace(/ at line \d+, column \d+:?$/, '');
    const at = error.linePos ? { line: error.linePos[0].line, column: error.linePos[0].col } : undefined;
    throw syntaxError(file, `${what} syntax: ${message}`, at, error);
  }
  const locate: Locate = (path, atKey) => {
    const offset = offsetOf(doc, path, atKey);
    if (offset === undefined) return undefined;
    const pos = lines.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  return { value: doc.toJS({ maxAliasCount: 100 }) as unknown, locate };
}

/** The offset of a path's key (with `atKey`) or value in a parsed document, or of its nearest enclosing node. */
function offsetOf(doc: Document, path: readonly PropertyKey[], atKey: boolean): number | undefined {
  for (let depth = path.length; depth > 0; depth--) {
    const prefix = path.slice(0, depth);
    if (atKey || depth < path.length) {
      const parent: unknown = depth === 1 ? doc.contents : doc.getIn(prefix.slice(0, -1), true);
      const name = prefix[prefix.length - 1];
      if (isMap(parent)) {
        const pair = parent.items.find((item) => isPair(item) && isScalar(item.key) && item.key.value === name);
        if (pair && isNode(pair.key) && pair.key.range) return pair.key.range[0];
      }
    }
    const node: unknown = doc.getIn(prefix, true);
    if (isNode(node) && node.range) return node.range[0];
  }
  return undefined;
}

function positionOf(text: string, offset: number): TextPosition {
  const before = text.slice(0, offset);
  return { line: before.split('\n').length, column: offset - before.lastIndexOf('\n') };
}

function syntaxError(file: string, message: string, at: TextPosition | undefined, cause: unknown): ConfigInvalidError {
  return new ConfigInvalidError([{ source: file, path: '', message, ...(at ? { line: at.line, column: at.column } : {}) }], { cause });
}
