/**
 * Tens of thousands of cached decisions in one process, from the built package (dist/, which `npm test` builds
 * first). On Node 20 a V8 bug made such a process die in its deoptimiser (a fatal error, not an exception) in most
 * runs; the engine avoids the optimisation that triggers it (src/policy/engine.ts).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const ENGINE = fileURLToPath(new URL('../../dist/src/policy/engine.js', import.meta.url));

const LOOP = `
const { PolicyEngine } = await import(${JSON.stringify(pathToFileURL(ENGINE).href)});
const engine = PolicyEngine.load({ cacheSize: 100000 });
for (let i = 0; i < 20000; i += 1) {
  engine.authorize({
    principal: { type: 'Agent', id: 'planner', roles: [] },
    action: 'apply',
    resource: { name: 'service:s' + i, category: 'write', network: 'internal' },
    context: { autonomy: 1 + (i % 3), mode: 'apply' },
  });
}
process.stdout.write('ok\\n');
`;

describe('many decisions in one process', () => {
  it('20,000 cached decisions end normally, three processes in a row', () => {
    expect(existsSync(ENGINE), 'dist/ is built by npm test before the tests run (npm run build)').toBe(true);
    for (let run = 0; run < 3; run += 1) {
      const child = spawnSync(process.execPath, ['--input-type=module', '-e', LOOP], { encoding: 'utf8', timeout: 120_000 });
      expect({ status: child.status, signal: child.signal, stdout: child.stdout, fatal: /Fatal error/.test(child.stderr) }).toEqual({
        status: 0,
        signal: null,
        stdout: 'ok\n',
        fatal: false,
      });
    }
  }, 360_000);
});
