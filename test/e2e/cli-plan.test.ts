/**
 * `steward plan FILE` then `steward apply RUN --expect-hash … --wait`, end to end through the built CLI: the plans are
 * printed for review with the hash and the next command, nothing applies until the apply, and then exactly the
 * reviewed plans apply.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI_MAIN, runCli, type CliResult } from './cli-process.js';

let dir: string;
let store: string;
let ledger: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'steward-plan-'));
  store = `sqlite:${join(dir, 's.db')}`;
  ledger = join(dir, 'ledger.jsonl');
  const library = pathToFileURL(join(CLI_MAIN, '..', '..', 'index.js')).href;
  const zod = pathToFileURL(createRequire(import.meta.url).resolve('zod')).href;
  // a read action (it applies alone at the default autonomy) whose apply appends its plan to a ledger file
  writeFileSync(
    join(dir, 'ledger.mjs'),
    `import { appendFileSync } from 'node:fs';\nimport { z } from '${zod}';\nimport { defineAction } from '${library}';\n` +
      `export const write = defineAction({ name: 'ledger.write', category: 'read',\n` +
      `  input: z.object({ key: z.string(), value: z.string() }),\n` +
      `  resource: (input) => 'ledger:' + input.key,\n` +
      `  plan: (input) => ({ key: input.key, value: input.value, at: Date.now() }),\n` +
      `  apply: (plan) => { appendFileSync(${JSON.stringify(ledger)}, JSON.stringify(plan) + '\\n'); return { wrote: plan.key }; } });\n`,
  );
  writeFileSync(
    join(dir, 'plan.yaml'),
    `name: fill the ledger
goal: show plan and apply
tasks:
  - id: first
    action: ledger.write
    input: { key: a, value: one }
  - id: second
    action: ledger.write
    input: { key: b, value: two }
  - id: last
    action: ledger.write
    input: { key: c, value: three }
    dependsOn: [first, second]
`,
  );
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Runs a command against this test's store and module, in this test's directory. */
function steward(...args: string[]): Promise<CliResult> {
  return runCli([...args, '--store', store, '--module', './ledger.mjs'], { cwd: dir, timeoutMs: 60_000 });
}

describe('steward plan and steward apply', () => {
  it('previews a plan file, then applies exactly the reviewed plans', async () => {
    const planned = await steward('plan', 'plan.yaml', '--subject', 'User::"alice"');
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.stdout).toMatch(/^plan run run_[0-9a-f]+ \(fill the ledger\): 3 task\(s\) in 2 wave\(s\)/);
    expect(planned.stdout).toContain('wave 1 (2 tasks side by side)\n  task first: ledger.write on ledger:a\n    {\n      "key": "a",\n      "value": "one",');
    expect(planned.stdout).toContain('wave 2\n  task last: ledger.write on ledger:c');
    expect(planned.stderr).toMatch(/plan run run_[0-9a-f]+ started: planning 3 task\(s\) of plan\.yaml/);
    const next = /\n {2}(steward apply (run_[0-9a-f]+) --expect-hash ([0-9a-f]{64}).*)\n$/.exec(planned.stdout);
    expect(next, planned.stdout).not.toBeNull();
    const [, command, runId, hash] = next as unknown as [string, string, string, string];
    expect(planned.stdout).toContain(`plan hash ${hash}`);
    expect(command).toContain(`--store '${store}' --module ./ledger.mjs`);
    expect(existsSync(ledger)).toBe(false);
    const reviewed = /"at": (\d+)/.exec(planned.stdout)?.[1];

    const wrongHash = await steward('apply', runId, '--expect-hash', 'f'.repeat(64));
    expect(wrongHash.code).toBe(1);
    expect(wrongHash.stderr).toMatch(/\[STEWARD_PLAN_CHANGED\]\n$/);
    expect(existsSync(ledger)).toBe(false);

    const applied = await steward('apply', runId, '--expect-hash', hash, '--by', 'User::"bob"', '--reason', 'reviewed', '--wait');
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain(`plan run ${runId} succeeded`);
    expect(applied.stdout).toMatch(/first\s+ledger\.write\s+ledger:a\s+applied/);
    expect(applied.stdout).toMatch(/last\s+ledger\.write\s+ledger:c\s+applied/);
    const lines = readFileSync(ledger, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { key: string; at: number });
    expect(lines.map((l) => l.key).sort()).toEqual(['a', 'b', 'c']);
    // the last task applied after the two it depends on, and with the plan reviewed, not a new one
    expect(lines[2]?.key).toBe('c');
    expect(lines.find((l) => l.key === 'a')?.at).toBe(Number(reviewed));
  });

  it('refuses a bad plan file with the path and line:column, and starts nothing', async () => {
    writeFileSync(
      join(dir, 'bad.yaml'),
      `tasks:
  - { id: a, action: ledger.write, input: { key: a, value: one }, dependsOn: [b] }
  - { id: b, action: ledger.write, input: { key: b, value: two }, dependsOn: [a] }
`,
    );
    const refused = await steward('plan', 'bad.yaml');
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(
      /^error: plan bad\.yaml is invalid: tasks\[0\]\.dependsOn\[0\] \(line 2:79\): tasks depend on each other in a cycle: a → b → a .+ \[STEWARD_PLAN_INVALID\]\n$/,
    );
    const runs = await runCli(['run', 'list', '--json', '--store', store], { cwd: dir });
    expect(JSON.parse(runs.stdout)).toMatchObject({ runs: [] });
  });

  it('prints the review as JSON', async () => {
    const planned = await steward('plan', 'plan.yaml', '--json');
    expect(planned.code, planned.stderr).toBe(0);
    const review = JSON.parse(planned.stdout) as { runId: string; hash: string; waves: string[][]; tasks: Array<{ id: string; resource: string; hash: string | null }>; apply: string };
    expect(review.waves).toEqual([['first', 'second'], ['last']]);
    expect(review.tasks.map((t) => [t.id, t.resource])).toEqual([
      ['first', 'ledger:a'],
      ['second', 'ledger:b'],
      ['last', 'ledger:c'],
    ]);
    expect(review.apply).toContain(`steward apply ${review.runId} --expect-hash ${review.hash}`);
  });
});
