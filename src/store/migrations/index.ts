/** The numbered schema migrations, one numbering for every store: `NNNN_name.<store>.sql`. */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** One migration to apply. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const FILE = /^(\d{4})_([a-z0-9_]+)\.(sqlite|postgres)\.sql$/;

/** The migration files of one store kind, in order, checked for gaps and duplicates (not read). */
function migrationFiles(kind: 'sqlite' | 'postgres'): Array<{ version: number; name: string; file: string }> {
  const dir = fileURLToPath(new URL('.', import.meta.url));
  const out: Array<{ version: number; name: string; file: string }> = [];
  for (const file of readdirSync(dir)) {
    const match = FILE.exec(file);
    if (!match || match[3] !== kind) continue;
    out.push({ version: Number(match[1]), name: match[2] ?? file, file });
  }
  out.sort((a, b) => a.version - b.version);
  out.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration numbering has a gap or duplicate at ${m.version} (${kind})`);
  });
  return out;
}

/** The migrations of one store kind, in order. */
export function loadMigrations(kind: 'sqlite' | 'postgres'): Migration[] {
  return migrationFiles(kind).map(({ version, name, file }) => ({ version, name, sql: readFileSync(new URL(file, import.meta.url), 'utf8') }));
}

/** The schema version the migrations of a store kind reach: what a store that opened has applied. */
export function latestSchemaVersion(kind: 'sqlite' | 'postgres'): number {
  return migrationFiles(kind).length;
}
