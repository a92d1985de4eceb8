// Copies the non-TypeScript files the runtime reads (SQL migrations, the Cedar schema and default policies, the example plan files) next to the compiled code, and marks the CLI executable.
import { chmodSync, cpSync, existsSync, mkdirSync } from 'node:fs';

const pairs = [
  ['src/store/migrations', 'dist/src/store/migrations'],
  ['src/policy/cedar', 'dist/src/policy/cedar'],
  ['examples', 'dist/examples'],
];
for (const [from, to] of pairs) {
  mkdirSync(to, { recursive: true });
  cpSync(from, to, { recursive: true, filter: (p) => !p.endsWith('.ts') });
}

// the CLI entry is run directly as `steward`
if (existsSync('dist/src/cli/main.js')) chmodSync('dist/src/cli/main.js', 0o755);
