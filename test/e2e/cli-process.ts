/** Runs the built `steward` CLI as real child processes, and waits on what they print or store, with deadlines. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The compiled entry point (tests run after `npm run build`). */
export const CLI_MAIN = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

/** What a finished command printed and how it exited. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a CLI process: the caller's, without any Steward settings that could leak into a test. */
function cliEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  for (const key of ['STEWARD_DATABASE_URL', 'STEWARD_MODULES', 'STEWARD_LOG_LEVEL', 'STEWARD_DEBUG']) {
    if (!(key in extra)) delete env[key];
  }
  return env;
}

/** A CLI process started in the background (a worker, a follower). */
export class CliProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private exitCode: number | null | undefined;

  constructor(args: readonly string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
    this.child = spawn(process.execPath, [CLI_MAIN, ...args], {
      cwd: options.cwd,
      env: cliEnv(options.env ?? {}),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code) => {
        this.exitCode = code;
        resolve(code);
      });
    });
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** Resolves once standard output matches `pattern`. */
  async waitForOutput(pattern: RegExp, timeoutMs = 20_000): Promise<void> {
    await eventually(async () => (pattern.test(this.stdout) ? true : undefined), {
      timeoutMs,
      what: () => `output matching ${pattern} (stdout so far: ${JSON.stringify(this.stdout)}, stderr: ${JSON.stringify(this.stderr)})`,
    });
  }

  /** Resolves with the exit code, or fails when the process has not exited in time. */
  async waitForExit(timeoutMs = 20_000): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`process did not exit within ${timeoutMs} ms; stdout: ${this.stdout}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends a signal without waiting. */
  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Sends a signal and waits for the exit; SIGKILL when it does not go in time. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<number | null> {
    if (!this.running) return this.exitCode ?? null;
    this.child.kill(signal);
    try {
      return await this.waitForExit(timeoutMs);
    } catch {
      this.child.kill('SIGKILL');
      return this.exited;
    }
  }
}

/** Runs one CLI command to its end. */
export async function runCli(args: readonly string[], options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliResult> {
  const child = new CliProcess(args, options);
  try {
    const code = await child.waitForExit(options.timeoutMs ?? 30_000);
    return { code, stdout: child.stdout, stderr: child.stderr };
  } finally {
    await child.stop('SIGKILL');
  }
}

/** Polls `probe` until it returns a value, or fails after the deadline naming what it waited for. */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  options: { timeoutMs?: number; intervalMs?: number; what?: () => string } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${options.what?.() ?? 'a condition'}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}
