/** Worker processes for the tests that kill them: started from a fixture script, ready on `ready`, killed with SIGKILL. */
import { spawn, type ChildProcess } from 'node:child_process';

/** A worker running in a child process. */
export interface WorkerProcess {
  child: ChildProcess;
  /** Resolves when the worker printed `ready`. */
  ready: Promise<void>;
  /** Resolves when the process has exited, with its exit code or signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
}

/** Starts `node --import tsx FIXTURE ...args`. */
export function startWorkerProcess(fixture: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('ready\n')) resolve();
    });
    void exited.then(({ code, signal }) => reject(new Error(`the worker exited before it was ready (code ${code}, signal ${signal}): ${stderr}`)));
  });
  ready.catch(() => undefined);
  return { child, ready, exited, stderr: () => stderr };
}

/** Whether the process still runs. */
export function isAlive(worker: WorkerProcess): boolean {
  return worker.child.exitCode === null && worker.child.signalCode === null;
}

/** SIGKILLs the worker; throws if it had ended on its own before. */
export async function killWorker(worker: WorkerProcess): Promise<void> {
  if (isAlive(worker)) worker.child.kill('SIGKILL');
  const { signal, code } = await worker.exited;
  if (signal !== 'SIGKILL') throw new Error(`the worker ended on its own before it was killed (code ${code}): ${worker.stderr()}`);
}
