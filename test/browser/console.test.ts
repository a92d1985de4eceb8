/**
 * The console in a real Chromium against a running Steward: logging in, a plan previewed, applied, approved by
 * another person and finished, the kill switch pausing a running apply and letting it finish, explaining a
 * component, and the navigation on a phone. No page is reloaded to see new state.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeApiToken } from '../../src/server/tokens.js';
import { logIn, PHONE, screenshot, startConsoleWorld, type ConsoleWorld } from './harness.js';

let world: ConsoleWorld;

beforeAll(async () => {
  world = await startConsoleWorld();
}, 120_000);
afterAll(async () => {
  await world?.close();
});

/** The run id of a page showing a run's timeline. */
function runIdOf(page: Page): string {
  const id = /#\/runs\/([^/?]+)/.exec(page.url())?.[1];
  if (id === undefined) throw new Error(`not on a run's page: ${page.url()}`);
  return decodeURIComponent(id);
}

/** Waits until the run's page shows the status. */
async function waitForStatus(page: Page, status: string): Promise<void> {
  await page.getByTestId('run-status').getByText(status, { exact: true }).waitFor();
}

describe('the console', () => {
  it("refuses a wrong token with the problem's detail, logs in with a good one, and logs out", async () => {
    const page = await world.page();
    await page.goto(world.url);
    await page.getByLabel('API token').fill('stw_not-a-real-token');
    await page.getByRole('button', { name: 'Log in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/token/i);
    await screenshot(page, 'login-refused');

    await page.getByLabel('API token').fill(world.tokens.viewer);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    expect(await page.getByTestId('kill-switch-state').textContent()).toBe('off');
    await screenshot(page, 'overview');

    // a viewer may look but not change: the refusal is the problem's detail
    await page.getByLabel('Autonomy level').selectOption('2');
    await page.getByRole('button', { name: 'Set autonomy' }).click();
    const refusal = page.getByRole('region', { name: 'Autonomy' }).getByRole('alert');
    await refusal.waitFor();
    expect(await refusal.textContent()).toContain('may not PUT /v1/autonomy');
    expect(await world.steward.autonomy.get()).toBe(1);

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('API token').waitFor();
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
  });

  it('logs out, saying why, when its token is revoked', async () => {
    const { id, secret } = await world.token('temp', 'viewer');
    const page = await world.page();
    await logIn(page, world.url, secret);
    await revokeApiToken(world.steward.store, id, { by: 'User::"root"', reason: 'laptop lost' });
    // the next request refuses the token (whichever comes first: this page's, or a live refresh's)
    await page.evaluate("location.hash = '#/runs'");
    const notice = page.getByRole('status').filter({ hasText: 'You were logged out' });
    await notice.waitFor();
    expect(await notice.textContent()).toMatch(/revoked/i);
    await page.getByLabel('API token').waitFor();
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
  });

  it('previews the example plan, applies it, is approved by another person in the inbox, and shows it finish live', async () => {
    const admin = await world.page();
    await logIn(admin, world.url, world.tokens.admin);
    await admin.getByRole('navigation').getByRole('link', { name: 'Runs' }).click();
    const planText = await admin.getByLabel('Plan (YAML or JSON)').inputValue();
    expect(planText).toContain('name: release api 2.0');
    await admin.getByRole('button', { name: 'Preview plan' }).click();
    await admin.waitForURL(/#\/runs\/[^/?]+$/);
    const runId = runIdOf(admin);
    await waitForStatus(admin, 'planned');
    const hash = await admin.getByTestId('plan-hash').textContent();
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).toBe((await world.steward.planOf(runId)).hash);
    await screenshot(admin, 'plan-preview');

    await admin.getByRole('button', { name: 'Apply this plan' }).click();
    await waitForStatus(admin, 'waiting');
    await screenshot(admin, 'plan-waiting-for-approval');

    const approver = await world.page();
    await logIn(approver, world.url, world.tokens.approver);
    await approver.getByRole('navigation').getByRole('link', { name: 'Approvals' }).click();
    await approver.getByRole('heading', { name: 'Approvals' }).waitFor();
    for (const action of ['config.update', 'service.deploy']) {
      const card = approver.getByRole('listitem', { name: new RegExp(`^Approval of ${action.replace('.', '\\.')} `) });
      await card.waitFor();
      expect(await card.textContent()).toContain('User::"admin"');
      await screenshot(approver, `inbox-${action}`);
      await card.getByLabel(/^Reason/).fill(`release api 2.0: ${action} reviewed`);
      await card.getByRole('button', { name: 'Approve' }).click();
      await card.waitFor({ state: 'detached' });
    }

    // the admin's page was never reloaded: the run's live stream moves it to its end
    await waitForStatus(admin, 'succeeded');
    expect((await world.steward.run(runId)).status).toBe('succeeded');
    await admin.getByRole('listitem', { name: 'service.deploy apply' }).waitFor();
    await screenshot(admin, 'plan-succeeded');
    const decided = await world.steward.approvals.list({ runId, status: ['approved'] });
    expect(decided.map((a) => a.decidedBy).sort()).toEqual(['User::"approver"', 'User::"approver"']);
  });

  it('pauses a running apply when the kill switch turns on, and finishes it when it turns off', async () => {
    const page = await world.page();
    await logIn(page, world.url, world.tokens.admin);
    await page.getByRole('navigation').getByRole('link', { name: 'Runs' }).click();
    await page.getByLabel('Workflow name').fill('test.hold-then-finish');
    await page.getByLabel('Input (JSON)').fill('{"name":"switch"}');
    await page.getByRole('button', { name: 'Start run' }).click();
    await page.waitForURL(/#\/runs\/[^/?]+$/);
    const runId = runIdOf(page);
    await world.holding.promise;
    await waitForStatus(page, 'running');

    await page.getByRole('navigation').getByRole('link', { name: 'Overview' }).click();
    const row = page.getByRole('row', { name: new RegExp(runId) });
    await page.getByLabel('Kill switch reason').fill('incident drill');
    await page.getByRole('button', { name: 'Turn kill switch on' }).click();
    await page.getByTestId('kill-switch-state').getByText('ON: no act applies').waitFor();
    await row.getByText('paused', { exact: true }).waitFor();
    expect((await world.steward.run(runId)).status).toBe('paused');
    await screenshot(page, 'kill-switch-on');

    await page.getByRole('button', { name: 'Turn kill switch off' }).click();
    await page.getByTestId('kill-switch-state').getByText('off', { exact: true }).waitFor();
    await row.getByText('succeeded', { exact: true }).waitFor();
    await row.getByRole('link', { name: runId }).click();
    await waitForStatus(page, 'succeeded');
    await screenshot(page, 'kill-switch-off-finished');
  });

  it('explains a component: its candidates ranked, with why each won or lost', async () => {
    const page = await world.page();
    await logIn(page, world.url, world.tokens.admin);
    await page.getByRole('navigation').getByRole('link', { name: 'Components' }).click();
    await page.getByRole('link', { name: 'Explain store/default' }).click();
    await page.getByRole('heading', { name: 'store/default' }).waitFor();
    const candidates = page.getByRole('table', { name: 'Candidates' });
    await candidates.waitFor();
    const first = candidates.getByRole('row').nth(1);
    expect(await first.textContent()).toMatch(/winner/);
    expect(await first.getByRole('cell').first().textContent()).toBe('1');
    expect(await first.getByRole('cell').last().textContent()).toMatch(/^won/);
    const explained = await world.steward.registry.explain('store', 'default');
    expect(await candidates.getByRole('row').count()).toBe(explained.candidates.length + 1);
    for (const candidate of explained.candidates.slice(1)) {
      expect(await candidates.getByRole('row', { name: new RegExp(candidate.provider) }).textContent()).toContain(candidate.reason);
    }
    await screenshot(page, 'component-explained');
  });

  it('shows the audit log, filtered by kind, with the chain intact', async () => {
    const page = await world.page();
    await logIn(page, world.url, world.tokens.viewer);
    await page.getByRole('navigation').getByRole('link', { name: 'Audit' }).click();
    await page.getByTestId('chain-status').getByText(/^intact: \d+ entries checked$/).waitFor();
    await page.getByLabel('Kind').fill('approval.approved');
    await page.getByRole('button', { name: 'Filter' }).click();
    const rows = page.getByRole('table').getByRole('row').filter({ hasText: 'approval.approved' });
    await rows.first().waitFor();
    expect(await page.getByRole('table').getByRole('row').filter({ hasNotText: 'approval.approved' }).count()).toBe(1);
    expect(await rows.first().textContent()).toContain('User::"approver"');
    await screenshot(page, 'audit');
  });

  it('shows a component paused and an audit entry written elsewhere without a reload', async () => {
    const page = await world.page();
    await logIn(page, world.url, world.tokens.admin);
    await page.getByRole('navigation').getByRole('link', { name: 'Components' }).click();
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'Explain action/registry.inspect' }) });
    await row.waitFor();
    expect(await row.textContent()).not.toContain('paused');
    await world.steward.pauseComponent('action', 'registry.inspect', true, { by: 'User::"ops"', reason: 'rotating credentials' });
    try {
      await row.getByText('paused').waitFor();
      await screenshot(page, 'component-paused-live');
    } finally {
      await world.steward.pauseComponent('action', 'registry.inspect', false, { by: 'User::"ops"', reason: 'done' });
    }
    await row.getByText('paused').waitFor({ state: 'detached' });

    await page.getByRole('navigation').getByRole('link', { name: 'Audit' }).click();
    // the list is on screen before the changes are made, so only a live update can show them
    await page.getByRole('table').getByRole('row').filter({ hasText: 'token.created' }).first().waitFor();
    const level = await world.steward.autonomy.get();
    await world.steward.autonomy.set(level === 3 ? 2 : level + 1, { by: 'User::"ops"', reason: 'seen live' });
    await world.steward.autonomy.set(level, { by: 'User::"ops"', reason: 'back' });
    await page.getByRole('table').getByRole('row').filter({ hasText: 'autonomy.changed' }).nth(1).waitFor();
    await screenshot(page, 'audit-live');
  });

  it('collapses the navigation behind a menu button on a phone', async () => {
    const page = await world.page(PHONE);
    await logIn(page, world.url, world.tokens.viewer);
    const nav = page.getByRole('navigation', { name: 'Main' });
    expect(await nav.isVisible()).toBe(false);
    const menu = page.getByRole('button', { name: 'Menu' });
    await menu.click();
    expect(await menu.getAttribute('aria-expanded')).toBe('true');
    await screenshot(page, 'phone-menu');
    await nav.getByRole('link', { name: 'Approvals' }).click();
    await page.getByRole('heading', { name: 'Approvals' }).waitFor();
    expect(await nav.isVisible()).toBe(false);
    await menu.click();
    await nav.getByRole('link', { name: 'Runs' }).click();
    await page.getByRole('heading', { name: 'Runs', exact: true }).waitFor();
    const width = Number(await page.evaluate('document.documentElement.scrollWidth'));
    expect(width).toBeLessThanOrEqual(PHONE.width);
    await screenshot(page, 'phone-runs');
  });

  it('ran every page without a script error or a Content-Security-Policy violation', () => {
    expect(world.pageErrors).toEqual([]);
  });
});
