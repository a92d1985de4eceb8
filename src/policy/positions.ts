/**
 * Where in a policy file Cedar found a problem: its offsets are byte offsets into the file's text; people read
 * `line:column` and the `@id` of the policy around it.
 */

/** The 1-based line and column (in characters) of a UTF-8 byte offset into `text`. */
export function lineColumnAt(text: string, byteOffset: number): { line: number; column: number } {
  const before = Buffer.from(text, 'utf8').subarray(0, Math.max(0, byteOffset)).toString('utf8');
  const lines = before.split('\n');
  return { line: lines.length, column: (lines[lines.length - 1] ?? '').length + 1 };
}

/** The character offsets of the `;` that end each policy, skipping those inside strings and comments. */
function policyEnds(text: string): number[] {
  const ends: number[] = [];
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '/' && text[i + 1] === '/') {
      const newline = text.indexOf('\n', i);
      i = newline === -1 ? text.length : newline;
    } else if (ch === ';') ends.push(i);
  }
  return ends;
}

const ID_ANNOTATION = /@id\s*\(\s*"((?:[^"\\]|\\.)*)"\s*\)/;

/** The position (0-based) and `@id`, if it has one, of the policy holding a byte offset of a file that may not parse. */
export function policyAround(text: string, byteOffset: number): { index: number; id: string | null } {
  const offset = Buffer.from(text, 'utf8').subarray(0, Math.max(0, byteOffset)).toString('utf8').length;
  const ends = policyEnds(text);
  let index = ends.findIndex((end) => end >= offset);
  if (index === -1) index = ends.length;
  const start = index === 0 ? 0 : (ends[index - 1] as number) + 1;
  const end = index < ends.length ? (ends[index] as number) : text.length;
  const match = ID_ANNOTATION.exec(text.slice(start, end));
  return { index, id: match ? (JSON.parse(`"${match[1] as string}"`) as string) : null };
}

/** How a message names a policy: by its `@id`, else by its place in the file (`#1` is the first). */
export function policyLabel(id: string | null, index: number): string {
  return id === null ? `policy #${index + 1}` : `policy "${id}"`;
}
