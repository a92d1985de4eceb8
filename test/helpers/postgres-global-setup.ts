/**
 * Gives the test run a PostgreSQL database: the one STEWARD_TEST_POSTGRES_URL names, else (outside CI) a throwaway
 * cluster started here and stopped when the run ends. When there is neither, the PostgreSQL test files fail with
 * the reason and how to mend it; under CI (CI=true) the URL must be set (`.ci/run` starts the server and sets it).
 */
import type { TestProject } from 'vitest/node';
import { startThrowawayCluster, type ThrowawayCluster } from './postgres-cluster.js';

const HOW = 'set STEWARD_TEST_POSTGRES_URL=postgres://USER:PASSWORD@HOST:PORT/DATABASE (a role that may create schemas in that database)';

export default async function setup(project: TestProject): Promise<() => void> {
  let cluster: ThrowawayCluster | undefined;
  let url = process.env.STEWARD_TEST_POSTGRES_URL || null;
  let problem: string | null = null;
  if (url === null && process.env.CI === 'true') {
    problem = `the PostgreSQL tests have no server: STEWARD_TEST_POSTGRES_URL is not set under CI (.ci/run starts a cluster and sets it); ${HOW}`;
  } else if (url === null) {
    try {
      cluster = await startThrowawayCluster();
      url = cluster.url;
    } catch (error) {
      problem = `the PostgreSQL tests have no server: could not start a throwaway cluster (${(error as Error).message}); ${HOW}, or install PostgreSQL`;
    }
  }
  project.provide('postgresUrl', url);
  project.provide('postgresProblem', problem);
  return () => cluster?.stop();
}
