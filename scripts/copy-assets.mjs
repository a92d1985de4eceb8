// Copies the non-TypeScript files the runtime reads (SQL migrations) next to the compiled code.
import { cpSync, mkdirSync } from 'node:fs';

const pairs = [['src/store/migrations', 'dist/src/store/migrations']];
for (const [from, to] of pairs) {
  mkdirSync(to, { recursive: true });
  cpSync(from, to, { recursive: true, filter: (p) => !p.endsWith('.ts') });
}
