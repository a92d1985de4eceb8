/**
 * Where each key of a TOML text is written. The TOML parser gives values without positions, so the text is scanned
 * once: table headers (`[a.b]`, `[[a.b]]`) and `key = value` lines, with their dotted and quoted keys, are recorded
 * by their full key path. Keys inside inline tables and arrays are not recorded; they are found at their enclosing key.
 */

/** A 1-based line and column. */
export interface TextPosition {
  readonly line: number;
  readonly column: number;
}

/** The position of every table header and key line, by its key path (`JSON.stringify` of the path). */
export function tomlKeyPositions(text: string): Map<string, TextPosition> {
  const positions = new Map<string, TextPosition>();
  const arrayCounts = new Map<string, number>();
  const record = (path: readonly (string | number)[], position: TextPosition): void => {
    const id = JSON.stringify(path);
    if (!positions.has(id)) positions.set(id, position);
  };
  let table: (string | number)[] = [];
  const state: ScanState = { depth: 0, multiline: null };
  text.split('\n').forEach((line, index) => {
    const lineNumber = index + 1;
    if (state.multiline !== null || state.depth > 0) {
      scanValue(line, 0, state);
      return;
    }
    const indent = line.length - line.trimStart().length;
    const position = { line: lineNumber, column: indent + 1 };
    const header = /^\s*(\[\[?)/.exec(line);
    if (header) {
      const keys = readKey(line, header[0].length);
      if (keys === null) return;
      if (header[1] === '[[') {
        const id = JSON.stringify(keys.segments);
        const count = arrayCounts.get(id) ?? 0;
        arrayCounts.set(id, count + 1);
        record(keys.segments, position);
        table = [...keys.segments, count];
      } else {
        table = keys.segments;
      }
      record(table, position);
      return;
    }
    const keys = readKey(line, indent);
    if (keys === null) return;
    const equals = skipSpaces(line, keys.end);
    if (line[equals] !== '=') return;
    const path = [...table, ...keys.segments];
    for (let depth = table.length + 1; depth <= path.length; depth++) record(path.slice(0, depth), position);
    scanValue(line, equals + 1, state);
  });
  return positions;
}

interface ScanState {
  /** Open `[` and `{` of a value that goes on over the next lines. */
  depth: number;
  /** The delimiter of a multi-line string still open at the end of the line. */
  multiline: '"""' | "'''" | null;
}

/** Follows a value to the end of its line: brackets opened and closed, strings, and the comment that ends it. */
function scanValue(line: string, from: number, state: ScanState): void {
  let i = from;
  while (i < line.length) {
    if (state.multiline !== null) {
      const end = line.indexOf(state.multiline, i);
      if (end === -1) return;
      i = end + 3;
      state.multiline = null;
      continue;
    }
    const ch = line[i];
    if (line.startsWith('"""', i) || line.startsWith("'''", i)) {
      state.multiline = line.slice(i, i + 3) as '"""' | "'''";
      i += 3;
    } else if (ch === '"' || ch === "'") {
      i = endOfString(line, i);
    } else if (ch === '#') {
      return;
    } else {
      if (ch === '[' || ch === '{') state.depth++;
      else if (ch === ']' || ch === '}') state.depth = Math.max(0, state.depth - 1);
      i++;
    }
  }
}

/** The index after a one-line string that starts at `start`. */
function endOfString(line: string, start: number): number {
  const quote = line[start];
  let i = start + 1;
  while (i < line.length && line[i] !== quote) i += quote === '"' && line[i] === '\\' ? 2 : 1;
  return i + 1;
}

function skipSpaces(line: string, from: number): number {
  let i = from;
  while (line[i] === ' ' || line[i] === '\t') i++;
  return i;
}

/** Reads a dotted key (`a."b.c".d`) at `from`: its segments and the index after it, or null when none is there. */
function readKey(line: string, from: number): { segments: string[]; end: number } | null {
  const segments: string[] = [];
  let i = skipSpaces(line, from);
  for (;;) {
    const ch = line[i];
    if (ch === '"' || ch === "'") {
      const end = endOfString(line, i);
      const raw = line.slice(i, end);
      segments.push(ch === "'" ? raw.slice(1, -1) : unquoteBasic(raw));
      i = end;
    } else {
      const bare = /^[A-Za-z0-9_-]+/.exec(line.slice(i));
      if (!bare) return null;
      segments.push(bare[0]);
      i += bare[0].length;
    }
    i = skipSpaces(line, i);
    if (line[i] !== '.') return { segments, end: i };
    i = skipSpaces(line, i + 1);
  }
}

function unquoteBasic(raw: string): string {
  try {
    return JSON.parse(raw) as string;
  } catch {
    return raw.slice(1, -1);
  }
}
