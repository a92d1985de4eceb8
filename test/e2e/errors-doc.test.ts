import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.js';

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
const codes = Object.values(ErrorCodes);

describe('docs/errors.md', () => {
  it.each(codes)('explains %s', (code) => {
    expect(doc).toMatch(new RegExp(`^## ${code}$`, 'm'));
  });
});
