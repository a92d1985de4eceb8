/**
 * Loads the policy set: the shipped schema and default policies, plus users' `.cedar` files, each validated against
 * the schema in strict mode. A file that does not parse or validate is a `PolicyError` naming file, policy and position.
 */

/** One policy of the set, named by its `@id` annotation. */
export interface LoadedPolicy {
  id: string;
  /** Where it came from: a path, or `<default>` for the shipped set. */
  file: string;
  text: string;
}

/** A validated policy set: what the engine preparses, and its version (a hash of the schema and policy texts). */
export interface LoadedPolicySet {
  schema: string;
  policies: readonly LoadedPolicy[];
  version: string;
}
