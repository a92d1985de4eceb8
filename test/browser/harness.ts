/**
 * The browser tests' world: the console built from source into a temporary folder, an in-process Steward on a fresh
 * SQLite file with the example workflows and actions and a worker, the API and console listening on 127.0.0.1, admin
 * and approver tokens, and Debian's Chromium driven by playwright-core.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { z } from 'zod';
import { loadWorkflows } from '../../src/cli/workflow-modules.js';
import { createSteward, defineAction, defineWorkflow, type RegisteredAction, type Steward, type WorkflowDefinition } from '../../src/index.js';
import { buildServer } from '../../src/server/app.js';
import { createApiToken } from '../../src/server/tokens.js';
import { silentLogger } from '../helpers/steward.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/** Where the browser tests' screenshots go (git-ignored). */
export const SCREENSHOTS = resolve('test-output', 'browser');

/** The Chromium the tests drive: Debian's, unless STEWARD_TEST_CHROMIUM names another. */
export const CHROMIUM = process.env['STEWARD_TEST_CHROMIUM'] ?? '/usr/bin/chromium';

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

/** A phone's viewport (an iPhone 12–15). */
export const PHONE = { width: 390, height: 844 } as const;

/** A latch: a promise and the function that resolves it. */
export interface Latch {
  promise: Promise<void>;
  open: () => void;
}

function latch(): Latch {
  let open!: () => void;
  const promise = new Promise<void>((resolve_) => {
    open = resolve_;
  });
  return { promise, open };
}

/**
 * `test.hold` (a read, so it applies without approval): its first apply holds until the run's signal aborts it (the
 * kill switch does that), and says so through `holding`; later applies finish at once.
 */
function holdingAction(holding: Latch): RegisteredAction {
  let applies = 0;
  return defineAction({
    name: 'test.hold',
    category: 'read',
    input: z.object({ name: z.string() }),
    resource: (input) => `hold:${input.name}`,
    plan: (input) => ({ name: input.name }),
    apply: async (plan, ctx) => {
      applies += 1;
      if (applies > 1) return { name: plan.name, applies };
      holding.open();
      return new Promise<{ name: string; applies: number }>((_resolve, reject) => {
        const stop = (): void => reject(ctx.signal.reason);
        if (ctx.signal.aborted) stop();
        else ctx.signal.addEventListener('abort', stop, { once: true });
      });
    },
  }) as RegisteredAction;
}

function holdingWorkflow(action: RegisteredAction): WorkflowDefinition {
  return defineWorkflow({
    name: 'test.hold-then-finish',
    input: z.object({ name: z.string().default('switch') }),
    run: async (ctx, input) => {
      const first = await ctx.act(action as Parameters<typeof ctx.act>[0], { name: input.name });
      return { held: first.status };
    },
  }) as WorkflowDefinition;
}

/** The console, built from console/ into a folder of its own (so a test sees the source as it is now). */
export function buildConsole(outDir: string): string {
  const require_ = createRequire(import.meta.url);
  const vite = join(resolve(require_.resolve('vite'), '..', '..', '..'), 'bin', 'vite.js');
  execFileSync(process.execPath, [vite, 'build', '--config', 'console/vite.config.ts', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'error'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return outDir;
}

/** Launches Chromium headless, or fails saying how to install it. */
export async function launchChromium(executablePath: string = CHROMIUM): Promise<Browser> {
  if (!existsSync(executablePath)) {
    throw new Error(
      `the browser tests need Chromium at ${executablePath}, which is missing: install it with \`apt-get install -y chromium\` (or point STEWARD_TEST_CHROMIUM at a Chromium binary)`,
    );
  }
  return chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
}

/** A running console and what the tests need to drive and check it. */
export interface ConsoleWorld {
  steward: Steward;
  url: string;
  browser: Browser;
  /** Secrets of tokens: User::"admin" (admin), User::"approver" (approver), User::"viewer" (viewer). */
  tokens: { admin: string; approver: string; viewer: string };
  /** Opens when `test.hold`'s first apply is in flight. */
  holding: Latch;
  /** Makes another token for User::"<name>" with one role: its id and secret. */
  token(name: string, role: string): Promise<{ id: string; secret: string }>;
  /** Script errors and Content-Security-Policy violations seen on any page so far. */
  pageErrors: string[];
  /** A new page (in its own context: its own sessionStorage), optionally at a viewport. */
  page(viewport?: { width: number; height: number }): Promise<Page>;
  close(): Promise<void>;
}

/** Starts the world; call `close` after the file's tests. */
export async function startConsoleWorld(): Promise<ConsoleWorld> {
  const temp = makeTempDir('steward-browser-');
  const cwd = process.cwd();
  mkdirSync(SCREENSHOTS, { recursive: true });
  const root = buildConsole(join(temp.dir, 'console'));
  // the example actions keep their files under ./.steward of the working directory
  const work = join(temp.dir, 'work');
  mkdirSync(work);
  const browser = await launchChromium().catch((error: unknown) => {
    temp.remove();
    throw error;
  });
  const holding = latch();
  const hold = holdingAction(holding);
  const loaded = await loadWorkflows({ modules: [], examples: true });
  const steward = await createSteward({
    store: `sqlite:${join(temp.dir, 'steward.db')}`,
    logger: silentLogger,
    pollIntervalMs: 20,
    workflows: [...loaded.workflows, holdingWorkflow(hold)],
    actions: [...loaded.actions, hold],
  });
  // after the store opened: its thread loads from the package's folder
  process.chdir(work);
  steward.worker.start({ concurrency: 4 });
  const app = await buildServer(steward, { console: { root }, rateLimit: { perSecond: 500, burst: 1000 } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const token = async (name: string, role: string): Promise<{ id: string; secret: string }> => {
    const created = await createApiToken(steward.store, { principal: `User::"${name}"`, roles: [role], by: 'User::"root"' });
    return { id: created.token.id, secret: created.secret };
  };
  const tokens = {
    admin: (await token('admin', 'admin')).secret,
    approver: (await token('approver', 'approver')).secret,
    viewer: (await token('viewer', 'viewer')).secret,
  };
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];
  return {
    steward,
    url: `http://127.0.0.1:${port}/`,
    browser,
    tokens,
    token,
    holding,
    pageErrors,
    async page(viewport = { width: 1280, height: 900 }) {
      const context = await browser.newContext({ viewport });
      contexts.push(context);
      const page = await context.newPage();
      page.on('pageerror', (error) => pageErrors.push(`${page.url()}: ${error.message}`));
      page.on('console', (message) => {
        if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text())) pageErrors.push(`${page.url()}: ${message.text()}`);
      });
      return page;
    },
    async close() {
      for (const context of contexts) await context.close().catch(() => undefined);
      await browser.close().catch(() => undefined);
      await app.close();
      await steward.close({ graceMs: 100 }).catch(() => undefined);
      process.chdir(cwd);
      temp.remove();
    },
  };
}

/** Logs a page in with a token, at the console's overview. */
export async function logIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
}

/** Saves a screenshot of the page under test-output/browser/. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
