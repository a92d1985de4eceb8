/** Where command output goes: results on standard output, notes for the person at the terminal on standard error. */

/** Prints a result line. */
export function printLine(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** Prints a result as indented JSON. */
export function printJson(value: unknown): void {
  printLine(JSON.stringify(value, null, 2));
}

/** Prints a note that is not part of the result (so that piping the result stays clean). */
export function printNote(text: string): void {
  process.stderr.write(`${text}\n`);
}
