/**
 * P1 in a process of its own (`node dist/bench/policy-child.js`): prints each metric as a JSON line. The policy
 * evaluator is WebAssembly, and a fatal V8 error there (one was seen on Node 20 and is worked around, see
 * docs/policy.md) must end this workload, not the whole bench.
 */
import { measurePolicyLatency } from './policy-workload.js';

await measurePolicyLatency((metric) => process.stdout.write(`${JSON.stringify(metric)}\n`));
