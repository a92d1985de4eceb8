/**
 * A throwaway PostgreSQL cluster for tests: `initdb` into a temporary directory, `pg_ctl start` on 127.0.0.1 and a
 * free port, one database, a password for the `postgres` role, and `stop()` to remove it all. Run as root, the
 * server programs run as the `postgres` user (initdb refuses root) through `runuser`.
 *
 * The same module starts the cluster of `.ci/run` from the command line:
 *   tsx test/helpers/postgres-cluster.ts start STATE_FILE   # writes the URL and what `stop` needs to STATE_FILE
 *   tsx test/helpers/postgres-cluster.ts stop STATE_FILE
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** A running throwaway cluster. */
export interface ThrowawayCluster {
  /** A URL of its database, with the password. */
  readonly url: string;
  readonly port: number;
  /** The directory holding the data directory, the socket, the log and the password file. */
  readonly dir: string;
  /** Stops the server (fast shutdown: open connections are closed) and leaves the data in place. */
  pause(): void;
  /** Starts the server again on the same port. */
  resume(): void;
  /** Stops the server and removes the directory. */
  stop(): void;
}

/** What `stop` needs to find a cluster started by another process. */
interface ClusterState {
  url: string;
  dir: string;
  binDir: string;
}

const DATABASE = 'steward_test';

/** Where the PostgreSQL server programs are: `pg_config --bindir`, else the newest /usr/lib/postgresql/N/bin. */
export function findPostgresBinDir(): string | null {
  const candidates: string[] = [];
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    // no pg_config on the PATH: look in Debian's place
  }
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((name) => /^\d+$/.test(name))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => join(root, v, 'bin')));
  }
  return candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) ?? null;
}

/** Runs a server program, as the `postgres` user when this process is root. */
function runServerProgram(binDir: string, program: string, args: readonly string[]): void {
  const path = join(binDir, program);
  const asRoot = process.getuid?.() === 0;
  const [command, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, [...args]];
  const result = spawnSync(command, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
    throw new Error(`${program} ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`}): ${output}`);
  }
}

/** A TCP port nothing listens on right now. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Options of `startThrowawayCluster`. */
export interface ClusterOptions {
  /**
   * Stop the cluster when this process exits, if nobody stopped it before (a test run that crashed or lost its
   * output pipe skips its teardown). Default true; false for a cluster that outlives the process that started it.
   */
  stopOnExit?: boolean;
}

/** Starts a new cluster; throws with the reason when it cannot. */
export async function startThrowawayCluster(options: ClusterOptions = {}): Promise<ThrowawayCluster> {
  const binDir = findPostgresBinDir();
  if (binDir === null) {
    throw new Error(
      'no PostgreSQL server programs found (looked for pg_config --bindir and /usr/lib/postgresql/*/bin): ' +
        'install them (apt-get install -y postgresql) or point STEWARD_TEST_POSTGRES_URL at a server',
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'steward-pg-'));
  try {
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
      chownSync(dir, uid, gid);
    }
    const password = randomBytes(12).toString('hex');
    const passwordFile = join(dir, 'password');
    writeFileSync(passwordFile, `${password}\n`, { mode: 0o644 });
    const data = join(dir, 'data');
    runServerProgram(binDir, 'initdb', [
      '-D', data, '-U', 'postgres', `--pwfile=${passwordFile}`, '--auth-local=trust', '--auth-host=scram-sha-256',
      '-E', 'UTF8', '--locale=C', '--no-sync',
    ]);
    rmSync(passwordFile);
    let port = 0;
    const start = (): void => {
      runServerProgram(binDir, 'pg_ctl', [
        '-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60',
        '-o', `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir} -c max_connections=300 -c shared_buffers=64MB`,
        'start',
      ]);
    };
    // another program may take the free port before the server binds it: try a few
    for (let attempt = 1; ; attempt += 1) {
      port = await freePort();
      try {
        start();
        break;
      } catch (error) {
        if (attempt >= 3) throw error;
      }
    }
    runServerProgram(binDir, 'createdb', ['-h', dir, '-p', String(port), '-U', 'postgres', DATABASE]);
    const url = `postgres://postgres:${password}@127.0.0.1:${port}/${DATABASE}`;
    let stopped = false;
    const stop = (): void => {
      if (stopped) return;
      stopped = true;
      process.removeListener('exit', stop);
      stopCluster({ url, dir, binDir });
    };
    if (options.stopOnExit !== false) process.once('exit', stop);
    return {
      url,
      port,
      dir,
      pause: () => runServerProgram(binDir, 'pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']),
      resume: start,
      stop,
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

function stopCluster(state: ClusterState): void {
  const data = join(state.dir, 'data');
  try {
    if (existsSync(join(data, 'postmaster.pid'))) runServerProgram(state.binDir, 'pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
  } finally {
    rmSync(state.dir, { recursive: true, force: true });
  }
}

async function main(argv: readonly string[]): Promise<void> {
  const [command, stateFile] = argv;
  if ((command !== 'start' && command !== 'stop') || stateFile === undefined) {
    throw new Error('usage: postgres-cluster.ts start|stop STATE_FILE');
  }
  if (command === 'start') {
    const cluster = await startThrowawayCluster({ stopOnExit: false });
    const state: ClusterState = { url: cluster.url, dir: cluster.dir, binDir: findPostgresBinDir() ?? '' };
    writeFileSync(stateFile, JSON.stringify(state), { mode: 0o600 });
    // the URL (with its password) is in the state file; the log gets where the server is
    process.stdout.write(`PostgreSQL started on 127.0.0.1:${cluster.port}, data in ${cluster.dir}\n`);
    return;
  }
  if (!existsSync(stateFile)) return;
  stopCluster(JSON.parse(readFileSync(stateFile, 'utf8')) as ClusterState);
  rmSync(stateFile, { force: true });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
