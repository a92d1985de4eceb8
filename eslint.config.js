// Lint for `npm test`: the recommended sets, and the layering of style.md ("imports point one way") as
// no-restricted-imports overrides per source folder.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

const unusedVars = {
  args: 'after-used',
  argsIgnorePattern: '^_',
  varsIgnorePattern: '^_',
  caughtErrorsIgnorePattern: '^_',
  destructuredArrayIgnorePattern: '^_',
};

/**
 * Forbids relative imports of the named src folders (at any depth: '../engine/x.js', '../../engine/x.js') and of the
 * public barrel src/index.ts, which would reach every layer at once.
 */
function layer(files, forbidden, why) {
  return {
    files,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^(\\.\\./)+(${forbidden.join('|')})(/|$)`,
              message: `${why} Imports point one way: errors, domain ← store ← policy, safety, audit, registry ← engine ← server, cli (style.md).`,
            },
            {
              regex: '^(\\.\\./)+index(\\.js)?$',
              message: 'Import the module you need, not the public API (src/index.ts re-exports every layer).',
            },
          ],
        },
      ],
    },
  };
}

export default defineConfig(
  globalIgnores(['dist/', 'node_modules/', 'console/dist/', 'coverage/']),
  js.configs.recommended,
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: {
      ecmaVersion: 'latest',
      sourceType: 'module',
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' },
    },
    rules: { 'no-unused-vars': ['error', unusedVars] },
  },
  {
    files: ['**/*.{ts,mts,cts,tsx}'],
    extends: [tseslint.configs.recommended],
    rules: { '@typescript-eslint/no-unused-vars': ['error', unusedVars] },
  },
  { files: ['src/**/*.{ts,mts,cts,tsx}'], rules: { '@typescript-eslint/no-explicit-any': 'error' } },
  { files: ['{test,bench}/**/*.{ts,mts,cts,tsx}'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },

  layer(
    ['src/domain/**/*.{ts,mts,cts,tsx}'],
    ['store', 'policy', 'safety', 'audit', 'registry', 'engine', 'server', 'cli'],
    'src/domain is pure types and logic: it may import errors, observability and config only.',
  ),
  layer(
    ['src/store/**/*.{ts,mts,cts,tsx}'],
    ['policy', 'safety', 'audit', 'registry', 'engine', 'server', 'cli'],
    'src/store sits on errors and domain only.',
  ),
  layer(
    ['src/{policy,safety,audit,registry}/**/*.{ts,mts,cts,tsx}'],
    ['engine', 'server', 'cli'],
    'policy, safety, audit and registry sit below the engine.',
  ),
  layer(
    ['src/plan/**/*.{ts,mts,cts,tsx}'],
    ['store', 'policy', 'safety', 'audit', 'registry', 'engine', 'server', 'cli'],
    'src/plan (plan documents and the steward.plan workflow) sits on errors and domain, below the engine that registers it.',
  ),
  layer(
    ['src/manifest/**/*.{ts,mts,cts,tsx}'],
    ['store', 'policy', 'safety', 'registry', 'engine', 'server', 'cli'],
    'src/manifest (signed remote manifests) sits beside registry, below the engine; it reaches the store only through audit.',
  ),
  layer(['src/engine/**/*.{ts,mts,cts,tsx}'], ['server', 'cli'], 'src/engine sits below server and cli.'),
  {
    files: ['src/errors.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^\\.\\.?/', message: 'src/errors.ts is the bottom layer: it imports nothing from src.' }] },
      ],
    },
  },
);
