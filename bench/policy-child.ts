/**
 * P1 in a process of its own (`node dist/bench/policy-child.js`): prints each metric as a JSON line. The policy
 * evaluator is WebAssembly; on Node 20 its hot path can end in a fatal V8 error (see docs/policy.md), which must end
 * this workload, not the whole bench.
 */
import { measurePolicyLatency } from './policy-workload.js';

await measurePolicyLatency((metric) => process.stdout.write(`${JSON.stringify(metric)}\n`));
