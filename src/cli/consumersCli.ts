import { generateConsumerToken, hashConsumerToken } from '../auth/credentials';
import { ConsumerExistsError, ConsumerNotFoundError, type ConsumerStore } from '../store/consumerStore';
import type { PartnerStore } from '../store/partnerStore';
import { NAME_RULE, UsageError, checkName, parseArguments, parseGrace, type CliIo } from './common';

export const USAGE = `Usage: npm run consumers -- <command> [options]

Commands:
  add <name> [--partner <p> ...]       create a consumer with read access; prints its token once
  list                                 list consumers (never prints tokens)
  rotate <name> [--grace <duration>]   issue a new token; the old one works for the grace period
  revoke <name>                        revoke a consumer: its tokens stop working (within AUTH_CACHE_TTL_MS, 30 s)

Options:
  --json               machine-readable output
  --partner <name>     read only this partner's events (repeat for more; each must exist). None: every partner's
  --grace <duration>   e.g. 30s, 90m, 24h, 7d (default: ROTATION_GRACE, 24h); rotating again ends it at once

${NAME_RULE}`;

interface Parsed {
  command: string;
  name: string;
  json: boolean;
  /** Sorted, without repeats; null when no --partner was given (every partner's events). */
  partners: string[] | null;
  graceMs?: number;
}

export interface ConsumerCommandStores {
  consumers: ConsumerStore;
  partners: Pick<PartnerStore, 'list'>;
}

const TAKES_NAME = ['add', 'rotate', 'revoke'];

export function parseCommand(argv: string[]): Parsed {
  const parsed = parseArguments(argv, {
    json: { type: 'boolean', default: false },
    partner: { type: 'string', multiple: true },
    grace: { type: 'string' },
  });
  const [command, name, ...extra] = parsed.positionals;
  const { json, partner, grace } = parsed.values;
  if (!command || ![...TAKES_NAME, 'list'].includes(command)) throw new UsageError(command ? `unknown command "${command}"` : 'a command is required');
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (TAKES_NAME.includes(command)) {
    if (!name) throw new UsageError(`${command} needs a consumer name`);
    checkName(name, 'consumer');
  } else if (name) {
    throw new UsageError(`unexpected argument "${name}"`);
  }
  if (partner !== undefined && command !== 'add') throw new UsageError('--partner goes with add');
  if (grace !== undefined && command !== 'rotate') throw new UsageError('--grace goes with rotate');
  const partners = partner === undefined ? null : [...new Set(partner.map((p) => checkName(p, 'partner')))].sort();
  return { command, name: name ?? '', json, partners, graceMs: parseGrace(grace) };
}

/** Runs one command against the consumer store (and the partner store, for --partner); returns the exit code. */
export async function runCommand(cmd: Parsed, stores: ConsumerCommandStores, io: CliIo): Promise<number> {
  const now = io.now();
  const print = (json: unknown, text: string) => io.out(cmd.json ? JSON.stringify(json) : text);
  const { name } = cmd;
  try {
    switch (cmd.command) {
      case 'add': {
        if (cmd.partners) {
          const known = new Set((await stores.partners.list()).map((p) => p.name));
          const unknown = cmd.partners.filter((p) => !known.has(p));
          if (unknown.length > 0) throw new UsageError(`--partner names no partner: ${unknown.map((p) => `"${p}"`).join(', ')} (see npm run partners -- list)`);
        }
        const token = generateConsumerToken();
        await stores.consumers.add(name, hashConsumerToken(token), cmd.partners, now);
        print(
          { name, token, partners: cmd.partners },
          [
            `Consumer "${name}" created, reading ${cmd.partners ? `the events of ${cmd.partners.join(', ')}` : "every partner's events"}.`,
            `Its token is shown once; store it securely.`,
            `Token: ${token}`,
          ].join('\n'),
        );
        return 0;
      }
      case 'list': {
        const all = await stores.consumers.list(now);
        print(
          all.map((c) => ({
            name: c.name,
            partners: c.partners,
            created_at: c.createdAt.toISOString(),
            revoked_at: c.revokedAt?.toISOString() ?? null,
            previous_token_expires_at: c.previousValidUntil?.toISOString() ?? null,
          })),
          all.length === 0
            ? 'No consumers yet: npm run consumers -- add <name>'
            : all
                .map((c) =>
                  [
                    c.name,
                    c.revokedAt ? 'revoked' : 'active',
                    `partners: ${c.partners ? c.partners.join(',') : 'all'}`,
                    ...(c.previousValidUntil ? [`previous token until ${c.previousValidUntil.toISOString()}`] : []),
                  ].join('\t'),
                )
                .join('\n'),
        );
        return 0;
      }
      case 'rotate': {
        const previousUntil = new Date(now.getTime() + (cmd.graceMs ?? io.defaultGraceMs));
        const token = generateConsumerToken();
        await stores.consumers.rotate(name, hashConsumerToken(token), previousUntil);
        print(
          { name, token, previous_token_expires_at: previousUntil.toISOString() },
          `New token for "${name}" (shown once): ${token}\nThe previous token works until ${previousUntil.toISOString()}.`,
        );
        return 0;
      }
      default: {
        await stores.consumers.revoke(name, now);
        print({ name, revoked_at: now.toISOString() }, `Consumer "${name}" revoked; its tokens no longer work.`);
        return 0;
      }
    }
  } catch (err) {
    if (err instanceof ConsumerNotFoundError || err instanceof ConsumerExistsError) throw new UsageError(err.message);
    throw err;
  }
}
