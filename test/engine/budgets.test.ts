/**
 * The budgets phase of the act pipeline: an action's rate limit and circuit breaker, as the engine asks for them
 * through ActionBudgetGuard, on a SQLite store and a clock the test moves.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineAction, openStore, type ActionDefinition, type Store } from '../../src/index.js';
import type { ActionBudgets } from '../../src/domain/action.js';
import { ActionBudgetGuard, DEFAULT_BREAKER, breakerSettingsOf } from '../../src/engine/budgets.js';
import { Redactor } from '../../src/audit/redactor.js';
import { verifyChain } from '../../src/audit/chain.js';
import { useDbPath } from '../helpers/temp-dir.js';
import { rejectionOf } from '../helpers/wait.js';

const T0 = Date.UTC(2030, 0, 1);

let stores: Store[] = [];

afterEach(async () => {
  await Promise.all(stores.map((s) => s.close()));
  stores = [];
});

function action(name: string, budgets: ActionBudgets = {}): ActionDefinition {
  return defineAction({
    name,
    category: 'deploy',
    input: z.object({}),
    resource: () => 'service:api',
    budgets,
    plan: () => ({}),
    apply: () => ({}),
  }) as ActionDefinition;
}

async function setUp(redactor?: Redactor) {
  const store = await openStore(`sqlite:${useDbPath()}`);
  stores.push(store);
  const clock = { at: T0, now: () => clock.at };
  return { store, clock, guard: new ActionBudgetGuard(store, clock, redactor) };
}

describe('ActionBudgetGuard', () => {
  it('an action with no rate limit that never failed goes, and nothing is written for it', async () => {
    const { store, guard } = await setUp();
    const deploy = action('service.deploy');

    expect(await guard.admit(deploy, T0)).toMatchObject({ kind: 'go', probe: false });
    await guard.record(deploy, true);

    expect(await store.listBreakers()).toEqual([]);
    expect(await store.readAudit({ after: 0, limit: 10 })).toEqual([]);
  });

  it('every action has a breaker: 5 failed applies in a row open it for 30 s by default', async () => {
    expect(breakerSettingsOf({})).toEqual(DEFAULT_BREAKER);
    expect(DEFAULT_BREAKER).toEqual({ failures: 5, coolDownMs: 30_000 });
    const { guard, clock } = await setUp();
    const deploy = action('service.deploy');
    for (let i = 0; i < 4; i += 1) await guard.record(deploy, false, new Error('connection refused'));
    expect(await guard.admit(deploy, clock.now())).toMatchObject({ kind: 'go', probe: false });

    clock.at = T0 + 100;
    const opened = await guard.record(deploy, false, new Error('connection refused'));
    const refused = await guard.admit(deploy, T0 + 200);

    expect(opened).toMatchObject({ state: 'open', failures: 5, openedAt: T0 + 100, probeAt: T0 + 30_100 });
    expect(refused).toMatchObject({ kind: 'open', retryAt: T0 + 30_100, state: 'open', failures: 5 });
    if (refused.kind !== 'open') throw new Error('expected the breaker to refuse');
    expect(refused.error.code).toBe('STEWARD_CIRCUIT_OPEN');
    expect(refused.error.message).toBe(
      'action "service.deploy" did not apply: its circuit breaker opened after 5 consecutive failed applies (last: connection refused); ' +
        'it half-opens at 2030-01-01T00:00:30.100Z and lets one probe apply through. ' +
        'Fix the target, or once it is fixed close the breaker with `steward breakers reset service.deploy --reason …`',
    );
    expect(refused.error.details).toEqual({ action: 'service.deploy', state: 'open', failures: 5, retryAt: T0 + 30_100, lastError: 'connection refused' });
  });

  it('an action’s own breaker settings apply, and a successful probe closes it', async () => {
    const { guard, clock } = await setUp();
    const deploy = action('service.deploy', { breaker: { failures: 2, coolDownMs: 500 } });
    await guard.record(deploy, false, new Error('boom'));
    await guard.record(deploy, false, new Error('boom'));

    expect(await guard.admit(deploy, T0 + 499)).toMatchObject({ kind: 'open', retryAt: T0 + 500 });
    expect(await guard.admit(deploy, T0 + 500)).toMatchObject({ kind: 'go', probe: true });
    const busy = await guard.admit(deploy, T0 + 501);
    expect(busy).toMatchObject({ kind: 'open', state: 'half_open', retryAt: T0 + 1000 });
    if (busy.kind !== 'open') throw new Error('expected the probe to hold the breaker');
    expect(busy.error.message).toContain('its one probe apply is in flight; another may go at 2030-01-01T00:00:01.000Z');

    clock.at = T0 + 600;
    expect(await guard.record(deploy, true)).toMatchObject({ state: 'closed', failures: 0 });
    expect(await guard.admit(deploy, T0 + 601)).toMatchObject({ kind: 'go', probe: false });
  });

  it('a rate limit lets a burst of ratePerMinute through, then says how long to wait', async () => {
    const { guard } = await setUp();
    const restart = action('service.restart', { ratePerMinute: 2 });

    expect(await guard.admit(restart, T0)).toMatchObject({ kind: 'go', probe: false });
    expect(await guard.admit(restart, T0)).toMatchObject({ kind: 'go', probe: false });
    const waiting = await guard.admit(restart, T0 + 1);

    expect(waiting).toMatchObject({ kind: 'wait', until: T0 + 30_000 });
    if (waiting.kind !== 'wait') throw new Error('expected a wait');
    expect(waiting.error.code).toBe('STEWARD_RATE_LIMITED');
    expect(waiting.error.message).toBe(
      'action "service.restart" did not apply: it used up its budget of 2 applies a minute across the store; ' +
        'the next may start at 2030-01-01T00:00:30.000Z. Wait, or raise budgets.ratePerMinute if the target allows more',
    );
    expect(await guard.admit(restart, T0 + 30_000)).toMatchObject({ kind: 'go', probe: false });
  });

  it('an open breaker costs no rate token, and its probe takes one like any apply', async () => {
    const { guard } = await setUp();
    const deploy = action('service.deploy', { ratePerMinute: 1, breaker: { failures: 1, coolDownMs: 1000 } });
    await guard.record(deploy, false, new Error('down'));

    expect(await guard.admit(deploy, T0 + 10)).toMatchObject({ kind: 'open' });
    expect(await guard.admit(deploy, T0 + 500)).toMatchObject({ kind: 'open' });
    expect(await guard.admit(deploy, T0 + 1000)).toMatchObject({ kind: 'go', probe: true });
    await guard.record(deploy, true);
    expect(await guard.admit(deploy, T0 + 1001)).toMatchObject({ kind: 'wait', until: T0 + 61_000 });
  });

  it('a breaker due for its probe keeps it while the rate budget makes the apply wait', async () => {
    const { store, guard } = await setUp();
    const deploy = action('service.deploy', { ratePerMinute: 1, breaker: { failures: 1, coolDownMs: 1000 } });
    expect(await guard.admit(deploy, T0)).toMatchObject({ kind: 'go', probe: false });
    await guard.record(deploy, false, new Error('down'));

    expect(await guard.admit(deploy, T0 + 2000)).toMatchObject({ kind: 'wait', until: T0 + 60_000 });
    expect(await store.getBreaker('service.deploy')).toMatchObject({ state: 'open', probeAt: T0 + 1000 });
    expect(await guard.admit(deploy, T0 + 60_000)).toMatchObject({ kind: 'go', probe: true });
  });

  it('what a failure records is redacted and bounded, and the opening is audited with its run', async () => {
    const redactor = new Redactor({ secrets: ['hunter2-secret'] });
    const { store, guard } = await setUp(redactor);
    const deploy = action('service.deploy', { breaker: { failures: 1, coolDownMs: 1000 } });

    const opened = await guard.record(deploy, false, new Error(`login with hunter2-secret refused ${'x'.repeat(1000)}`), 'run_1');

    expect(opened.lastError).toMatch(/^login with \[redacted\] refused x+…$/);
    expect(opened.lastError).toHaveLength(500);
    const [entry] = await store.readAudit({ after: 0, limit: 10 });
    expect(entry).toMatchObject({ kind: 'breaker.opened', actor: null, runId: 'run_1', data: { action: 'service.deploy', error: opened.lastError } });
  });

  it('an operator resets a breaker by hand, audited with who and why; the apply goes again', async () => {
    const { store, guard, clock } = await setUp();
    const deploy = action('service.deploy', { breaker: { failures: 1, coolDownMs: 60_000 } });
    await guard.record(deploy, false, new Error('down'));
    clock.at = T0 + 10;

    const reset = await guard.reset('service.deploy', { by: 'User::"oncall"', reason: 'database restored; password=abc' });

    expect(reset).toMatchObject({ action: 'service.deploy', state: 'closed', failures: 0, updatedAt: T0 + 10 });
    expect(await guard.admit(deploy, T0 + 11)).toMatchObject({ kind: 'go', probe: false });
    expect(await guard.list()).toEqual([reset]);
    const entries = await store.readAudit({ after: 0, limit: 10 });
    expect(entries.map((e) => e.kind)).toEqual(['breaker.opened', 'breaker.reset']);
    expect(entries[1]).toMatchObject({ at: T0 + 10, actor: 'User::"oncall"', data: { action: 'service.deploy', from: 'open', failures: 1 } });
    expect(verifyChain(entries)).toMatchObject({ ok: true });
  });

  it('resetting a breaker the store does not know, or without a reason, is refused and says how to mend it', async () => {
    const { guard } = await setUp();
    await guard.record(action('service.deploy'), false, new Error('down'));

    const unknown = await rejectionOf(guard.reset('service.deplyo', { reason: 'fixed' }));
    const noReason = await rejectionOf(guard.reset('service.deploy', { reason: '  ' }));

    expect(unknown.code).toBe('STEWARD_BREAKER_NOT_FOUND');
    expect(unknown.message).toBe(
      'no circuit breaker is recorded for action "service.deplyo" (an action has one once an apply of it failed); nothing changed. ' +
        'Check the name with `steward breakers list` (known: service.deploy)',
    );
    expect(noReason.code).toBe('STEWARD_VALIDATION');
    expect(noReason.message).toContain('give a reason');
    expect(await guard.list()).toMatchObject([{ action: 'service.deploy', failures: 1 }]);
  });

  it('defineAction refuses breaker settings out of bounds or misspelt', () => {
    const refused = (budgets: unknown) => {
      try {
        action('service.deploy', budgets as ActionBudgets);
        return null;
      } catch (error) {
        return (error as Error).message;
      }
    };

    expect(refused({ breaker: { failures: 0 } })).toContain('budgets.breaker.failures');
    expect(refused({ breaker: { coolDownMs: 50 } })).toContain('budgets.breaker.coolDownMs');
    expect(refused({ breaker: { cooldown: 1000 } })).toContain('budgets.breaker');
    expect(action('service.deploy', { breaker: { failures: 1000, coolDownMs: 86_400_000 } }).budgets.breaker).toEqual({
      failures: 1000,
      coolDownMs: 86_400_000,
    });
  });
});
