/**
 * `steward tokens create|list|revoke`: the bearer tokens of the HTTP API. A token speaks for a principal with roles;
 * its secret is printed once, at creation, and only its sha256 is stored.
 */
import type { Command } from 'commander';
import { createApiToken, revokeApiToken, type PublicApiToken } from '../server/tokens.js';
import { printJson, printLine, printNote } from './output.js';
import { globalsOf, withSteward } from './steward-session.js';
import { formatTable } from './table.js';

interface CreateFlags {
  principal: string;
  role?: string[];
  name?: string;
  by?: string;
  json?: boolean;
}

/** Collects a repeatable option's values. */
const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

const time = (at: number | null): string => (at === null ? '-' : new Date(at).toISOString());

function formatTokens(tokens: readonly PublicApiToken[]): string {
  return formatTable(
    ['ID', 'NAME', 'PRINCIPAL', 'ROLES', 'CREATED', 'LAST USED', 'REVOKED'],
    tokens.map((t) => [t.id, t.name, t.principal, t.roles.join(',') || '-', time(t.createdAt), time(t.lastUsedAt), time(t.revokedAt)]),
  );
}

/** Adds the `tokens` command group to the program. */
export function registerTokenCommands(program: Command): void {
  const tokens = program.command('tokens').description('bearer tokens of the HTTP API: each speaks for a principal with roles');

  tokens
    .command('create')
    .description('make a token (audited as token.created); its secret is printed once and never stored')
    .requiredOption('--principal <principal>', 'who the token speaks for, e.g. User::"alice" or Service::"ci"')
    .option('--role <role>', 'a role for policy (viewer, operator, approver, admin); repeatable', collect)
    .option('--name <name>', 'what the token is for')
    .option('--by <principal>', 'who makes it (recorded in the audit log; default $STEWARD_PRINCIPAL)')
    .option('--json', 'print { token, secret } as JSON')
    .action((flags: CreateFlags, cmd: Command) =>
      withSteward(globalsOf(cmd), { logLevel: 'error' }, async (steward) => {
        const by = flags.by ?? process.env['STEWARD_PRINCIPAL'] ?? null;
        const created = await createApiToken(steward.store, {
          principal: flags.principal,
          roles: flags.role ?? [],
          ...(flags.name === undefined ? {} : { name: flags.name }),
          by,
        });
        if (flags.json) return printJson(created);
        printLine(created.secret);
        printNote(
          `token ${created.token.id} for ${created.token.principal} (roles: ${created.token.roles.join(', ') || 'none'}): the secret above is shown once; send it as Authorization: Bearer …`,
        );
      }),
    );

  tokens
    .command('list')
    .description('list the tokens, oldest first (never their secrets)')
    .option('--json', 'print the tokens as JSON')
    .action((flags: { json?: boolean }, cmd: Command) =>
      withSteward(globalsOf(cmd), { logLevel: 'error' }, async (steward) => {
        const all = (await steward.store.listTokens()).map(({ tokenHash: _hash, ...rest }) => rest);
        if (flags.json) return printJson(all);
        printLine(all.length === 0 ? 'no tokens: make one with `steward tokens create --principal ...`' : formatTokens(all));
      }),
    );

  tokens
    .command('revoke')
    .description('revoke a token at once (audited as token.revoked); requests with it are refused from then on')
    .argument('<id>', 'the token id, as steward tokens list shows it')
    .option('--reason <text>', 'why (recorded in the audit log)')
    .option('--by <principal>', 'who revokes it (recorded in the audit log; default $STEWARD_PRINCIPAL)')
    .option('--json', 'print the token as JSON')
    .action((id: string, flags: { reason?: string; by?: string; json?: boolean }, cmd: Command) =>
      withSteward(globalsOf(cmd), { logLevel: 'error' }, async (steward) => {
        const token = await revokeApiToken(steward.store, id, { by: flags.by ?? process.env['STEWARD_PRINCIPAL'] ?? null, reason: flags.reason ?? null });
        if (flags.json) return printJson(token);
        printLine(`token ${token.id} (${token.principal}) revoked at ${time(token.revokedAt)}`);
      }),
    );
}
