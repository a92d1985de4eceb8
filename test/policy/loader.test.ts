import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { PolicyError } from '../../src/errors.js';
import { compilePolicySet, loadPolicySet } from '../../src/policy/loader.js';
import { useTempDir } from '../helpers/temp-dir.js';

let dir: { path: string };
beforeEach(() => {
  dir = { path: useTempDir('steward-policy-') };
});

function thrown(fn: () => unknown): PolicyError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    return error as PolicyError;
  }
  throw new Error('expected a PolicyError');
}

const GOOD = `@id("team.read-public")
permit (principal, action == Action::"apply", resource)
when { resource.category == "read" && resource.network == "public" };
`;

describe('loading policy files', () => {
  it('adds users’ files to the defaults, named by @id, and versions the set by its texts', () => {
    const file = join(dir.path, 'team.cedar');
    writeFileSync(file, GOOD);
    const set = loadPolicySet({ paths: [dir.path] });
    expect(set.policies.map((p) => p.id)).toContain('team.read-public');
    expect(set.policies.find((p) => p.id === 'team.read-public')?.file).toBe(file);
    expect(set.version).not.toBe(loadPolicySet().version);
    expect(set.version).toBe(loadPolicySet({ paths: [file] }).version);
  });

  it('fails on a syntax error, naming the file, the policy and the line:column', () => {
    const file = join(dir.path, 'broken.cedar');
    writeFileSync(file, `${GOOD}\n// the second policy\n@id("team.broken")\npermit (principal, action, resource)\nwhen { context.autonomy >= };\n`);
    const error = thrown(() => loadPolicySet({ paths: [file] }));
    expect(error.code).toBe('STEWARD_POLICY_INVALID');
    expect(error.message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: policy "team.broken" at 8:28: unexpected token`));
    expect(error.message).not.toContain('\n');
  });

  it('fails on a schema violation, naming the file, the policy and the line:column', () => {
    const file = join(dir.path, 'typo.cedar');
    writeFileSync(file, `${GOOD}\n@id("team.typo")\npermit (principal, action == Action::"apply", resource)\n  when { resource.categry == "write" };\n`);
    const error = thrown(() => loadPolicySet({ paths: [dir.path] }));
    expect(error.code).toBe('STEWARD_POLICY_INVALID');
    expect(error.message).toContain(`${file}: policy "team.typo" at 7:10: attribute \`categry\` on entity type \`Resource\` not found`);
  });

  it('names a policy without @id by its place in the file', () => {
    const error = thrown(() =>
      compilePolicySet([{ file: 'inline.cedar', text: `permit (principal, action, resource);\npermit (principal, action, resource) when { context.mode == 3 };` }]),
    );
    expect(error.message).toMatch(/^inline\.cedar: policy #2 at 2:45: /);
  });

  it('refuses a type mismatch, an unknown action and an unknown entity type', () => {
    for (const text of [
      'permit (principal, action, resource) when { context.autonomy == "high" };',
      'permit (principal, action == Action::"delete", resource);',
      'permit (principal is Robot, action, resource);',
    ]) {
      expect(thrown(() => compilePolicySet([{ file: 'x.cedar', text }])).message).toMatch(/^x\.cedar: policy #1 at 1:\d+: /);
    }
  });

  it('refuses two policies with the same @id, even across files', () => {
    const error = thrown(() => compilePolicySet([
      { file: 'a.cedar', text: '@id("same")\npermit (principal, action, resource);' },
      { file: 'b.cedar', text: '@id("same")\nforbid (principal, action, resource);' },
    ]));
    expect(error.message).toBe('b.cedar: policy "same" has the same @id as a policy in a.cedar; give every policy a unique @id');
  });

  it('reads the .cedar files of nested directories in name order and fails on a missing path', () => {
    mkdirSync(join(dir.path, 'b'));
    writeFileSync(join(dir.path, 'b', 'two.cedar'), '@id("two")\npermit (principal, action == Action::"plan", resource);');
    writeFileSync(join(dir.path, 'a.cedar'), '@id("one")\npermit (principal, action == Action::"plan", resource);');
    writeFileSync(join(dir.path, 'notes.txt'), 'not a policy');
    expect(loadPolicySet({ paths: [dir.path], defaults: false }).policies.map((p) => p.id)).toEqual(['one', 'two']);
    expect(thrown(() => loadPolicySet({ paths: [join(dir.path, 'missing')] })).message).toContain('cannot read policies (ENOENT)');
  });
});
