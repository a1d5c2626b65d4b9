import { open, readFile, rename, rm } from 'node:fs/promises';
import { createConsumerClient, ReadGaveUp, ReadRefused, type ReadAttempt } from '../client/consumerClient';
import { UsageError, parseArguments } from './arguments';

export const USAGE = `Usage: npm run -s feed -- [--follow] [--checkpoint FILE] [--limit N] [--url URL]

Prints the feed's events, each once and in feed order, one JSON object a line on stdout.

Options:
  --follow            keep reading once caught up; SIGINT or SIGTERM stops after the page being printed
  --checkpoint FILE   start after the cursor saved in FILE (if it exists), and save the new cursor
                      there after each page is printed
  --limit N           events per request, 1 to 500 (default: the receiver's, 100)
  --url URL           the receiver (default: http://127.0.0.1:$PORT, PORT 3000 when unset)

Environment:
  FEED_TOKEN          a consumer token, apptrd_… (npm run consumers -- add <name>)

Exit codes: 0 done (or stopped by a signal), 2 bad arguments or no FEED_TOKEN, 1 a refused request or any other failure.`;

export interface FeedCommand {
  follow: boolean;
  checkpoint?: string;
  limit?: number;
  url: string;
  token: string;
}

export interface FeedIo {
  /** Writes to stdout; resolves once the text is handed to the system. */
  out: (text: string) => Promise<void>;
  /** Diagnostics, to stderr. */
  err: (text: string) => void;
  /** Aborted by SIGINT or SIGTERM. */
  signal: AbortSignal;
  /** The wait once caught up, with --follow (default 1000 ms). */
  pollMs?: number;
}

/** A cursor as the feed issues them (openapi.yaml, Cursor). */
const CURSOR = /^[A-Za-z0-9_-]{1,200}$/;

export function parseCommand(argv: string[], env: Record<string, string | undefined>): FeedCommand {
  const { values, positionals } = parseArguments(argv, {
    follow: { type: 'boolean', default: false },
    checkpoint: { type: 'string' },
    limit: { type: 'string' },
    url: { type: 'string' },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  if (values.checkpoint === '') throw new UsageError('--checkpoint needs a file name');
  let limit: number | undefined;
  if (values.limit !== undefined) {
    limit = /^\d{1,3}$/.test(values.limit) ? Number(values.limit) : NaN;
    if (!(limit >= 1 && limit <= 500)) throw new UsageError('--limit must be a whole number from 1 to 500');
  }
  const url = values.url ?? `http://127.0.0.1:${env.PORT || '3000'}`;
  let protocol: string | undefined;
  try {
    protocol = new URL(url).protocol;
  } catch {
    // Reported below.
  }
  if (protocol !== 'http:' && protocol !== 'https:') throw new UsageError(`--url must be an http or https address, not "${url}"`);
  const token = env.FEED_TOKEN?.trim();
  if (!token) throw new UsageError('FEED_TOKEN is not set: give it a consumer token (npm run consumers -- add <name>)');
  return { follow: values.follow, checkpoint: values.checkpoint, limit, url, token };
}

/** The cursor saved in `file`; undefined when there is no such file (start at the feed's beginning). */
export async function readCheckpoint(file: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const cursor = text.trim();
  if (!CURSOR.test(cursor)) throw new Error(`${file} does not hold a feed cursor; delete it to start at the beginning`);
  return cursor;
}

/** Replaces `file` with the cursor all at once: a crash leaves the old cursor or the new one, never part of one. */
export async function saveCheckpoint(file: string, cursor: string): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    const handle = await open(temporary, 'w', 0o600);
    try {
      await handle.writeFile(`${cursor}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
}

function describeAttempt({ route, status, retryInMs }: ReadAttempt): string | undefined {
  if (retryInMs === undefined) return undefined;
  return `feed: ${route} ${status === undefined ? 'got no answer' : `answered ${status}`}; asking again in ${(retryInMs / 1000).toFixed(1)} s`;
}

function describeFailure(err: unknown): string {
  if (err instanceof ReadRefused) {
    const details = (err.reply?.errors ?? []).map((e) => `${e.loc.join('.')}: ${e.msg}`);
    return `the receiver refused the request with ${err.status}: ${err.reply?.message ?? 'no error body'}${details.length > 0 ? ` (${details.join('; ')})` : ''}`;
  }
  if (err instanceof ReadGaveUp) return `the receiver could not be read: ${err.message}`;
  if ((err as NodeJS.ErrnoException).code === 'EPIPE') return 'stdout was closed; the page being written is not checkpointed';
  return err instanceof Error ? err.message : String(err);
}

/**
 * Prints the feed as NDJSON, one page at a time: a page is written out (and, with --checkpoint,
 * its cursor saved) before the next is asked for. Returns the exit code.
 */
export async function runFeed(cmd: FeedCommand, io: FeedIo): Promise<number> {
  const client = createConsumerClient({
    baseUrl: cmd.url,
    token: cmd.token,
    onAttempt: (attempt) => {
      const line = describeAttempt(attempt);
      if (line) io.err(line);
    },
  });
  let lines: string[] = [];
  const flush = async () => {
    if (lines.length === 0) return;
    const text = `${lines.join('\n')}\n`;
    lines = [];
    await io.out(text);
  };
  try {
    const after = cmd.checkpoint === undefined ? undefined : await readCheckpoint(cmd.checkpoint);
    const events = client.feed({
      after,
      limit: cmd.limit,
      follow: cmd.follow,
      pollMs: io.pollMs,
      signal: io.signal,
      onCheckpoint: async (cursor) => {
        await flush();
        if (cmd.checkpoint !== undefined) await saveCheckpoint(cmd.checkpoint, cursor);
      },
    });
    for await (const event of events) lines.push(JSON.stringify(event));
    await flush();
    return 0;
  } catch (err) {
    io.err(`feed: ${describeFailure(err)}`);
    return 1;
  }
}
