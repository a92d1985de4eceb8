import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, verifyChain, describeVerdict } from '../../src/audit/chain.js';
import { sealAuditEntries, EMPTY_HEAD } from '../../src/store/audit-chain.js';
import type { AuditInput } from '../../src/store/store.js';

function input(kind: string, data: Record<string, unknown> = {}): AuditInput {
  return { kind, at: 1_700_000_000_000, actor: 'User::"alice"', runId: 'run_1', subject: null, data };
}

describe('the audit hash chain', () => {
  it("hashes the previous hash followed by the entry's canonical JSON", () => {
    const [first] = sealAuditEntries(EMPTY_HEAD, [input('run.started', { goal: 'ship' })]);
    const canonical =
      '{"actor":"User::\\"alice\\"","at":1700000000000,"data":{"goal":"ship"},"id":1,"kind":"run.started",' +
      `"prevHash":"${GENESIS_HASH}","runId":"run_1","subject":null}`;
    expect(first!.hash).toBe(createHash('sha256').update(GENESIS_HASH + canonical).digest('hex'));
  });

  it('verifies an intact chain and reports its length and head', () => {
    const entries = sealAuditEntries(EMPTY_HEAD, [input('a'), input('b'), input('c')]);
    const verdict = verifyChain(entries);
    expect(verdict).toEqual({ ok: true, count: 3, head: entries[2]!.hash });
    expect(describeVerdict(verdict)).toBe(`ok: 3 entries, chain intact, head ${entries[2]!.hash}`);
    expect(verifyChain([])).toEqual({ ok: true, count: 0, head: GENESIS_HASH });
  });

  it('names an entry whose content was altered', () => {
    const entries = sealAuditEntries(EMPTY_HEAD, [input('a'), input('b', { allowed: false }), input('c')]);
    entries[1]!.data = { allowed: true };
    expect(verifyChain(entries)).toMatchObject({ ok: false, brokenId: 2, reason: 'hash_mismatch' });
  });

  it('names the entry after one whose hash was rewritten to match altered content', () => {
    const entries = sealAuditEntries(EMPTY_HEAD, [input('a'), input('b'), input('c')]);
    const [resealed] = sealAuditEntries({ id: 1, hash: entries[0]!.hash }, [input('b', { forged: true })]);
    entries[1] = resealed!;
    expect(verifyChain(entries)).toMatchObject({ ok: false, brokenId: 3, reason: 'prev_link_mismatch' });
  });

  it('names the entry after a removed one', () => {
    const entries = sealAuditEntries(EMPTY_HEAD, [input('a'), input('b'), input('c')]);
    expect(verifyChain([entries[0]!, entries[2]!])).toMatchObject({ ok: false, brokenId: 3, reason: 'id_gap' });
  });
});
