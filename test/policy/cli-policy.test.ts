import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../e2e/cli-process.js';
import { useTempDir } from '../helpers/temp-dir.js';

let dir: string;
beforeEach(() => {
  dir = useTempDir('steward-policy-cli-');
});

const DEPLOY_API = `@id("team.deploy-api")
permit (principal is Agent, action == Action::"apply", resource)
when { resource.name == "service:api" && resource.category == "deploy" && context.autonomy >= 2 };
`;

const deployApi = ['--resource-json', '{"name":"service:api","category":"deploy","network":"internal"}'];

describe('steward policy check', () => {
  it('says ok for valid files, naming their policies', async () => {
    writeFileSync(join(dir, 'team.cedar'), DEPLOY_API);
    const result = await runCli(['policy', 'check', join(dir, 'team.cedar')]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout.trim()).toBe('ok: 1 file, 1 policy valid against the schema (team.deploy-api)');
  });

  it('fails with one line naming file, policy and position', async () => {
    writeFileSync(join(dir, 'team.cedar'), DEPLOY_API);
    const bad = join(dir, 'typo.cedar');
    writeFileSync(bad, '@id("team.typo")\nforbid (principal, action, resource)\n  when { resource.netwerk == "public" };\n');
    const result = await runCli(['policy', 'check', dir]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      new RegExp(`^error: ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: policy "team.typo" at 3:10: attribute \`netwerk\` .* \\[STEWARD_POLICY_INVALID\\]\\n$`),
    );
  });
});

describe('steward policy test', () => {
  it('prints the decision and the deciding policy, with a user policy widening the defaults', async () => {
    writeFileSync(join(dir, 'team.cedar'), DEPLOY_API);
    const context = ['--context-json', '{"autonomy":2,"mode":"apply"}'];
    const without = await runCli(['policy', 'test', '--principal', 'Agent::"bot"', '--action', 'apply', ...deployApi, ...context]);
    expect(without).toMatchObject({ code: 0, stdout: 'deny (no policy permits it)\n' });
    const withTeam = await runCli(['policy', 'test', '--principal', 'Agent::"bot"', '--action', 'apply', ...deployApi, ...context, '--policies', dir]);
    expect(withTeam).toMatchObject({ code: 0, stdout: 'allow (team.deploy-api)\n' });
  });

  it('prints JSON with --json, principal roles from --roles', async () => {
    const result = await runCli([
      'policy', 'test', '--principal', 'User::"alice"', '--roles', 'approver', '--action', 'approve', ...deployApi,
      '--context-json', '{"autonomy":1,"mode":"apply","reason":"release 1.2"}', '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ decision: 'allow', policies: ['steward.approve-by-approver'], errors: [] });
  });

  it('fails in one line on a request that does not fit', async () => {
    const result = await runCli(['policy', 'test', '--principal', 'Robot::"r2"', '--action', 'apply', ...deployApi, '--context-json', '{"autonomy":1,"mode":"apply"}']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: policy request: request\.principal.*\[STEWARD_VALIDATION\]\n$/);
  });
});
