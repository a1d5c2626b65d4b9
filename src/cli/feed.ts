import { UsageError } from './arguments';
import { USAGE, parseCommand, runFeed } from './feedCli';

/**
 * `npm run -s feed -- [--follow] [--checkpoint FILE] [--limit N] [--url URL]`: prints the feed's
 * events as NDJSON on stdout (nothing else goes there; diagnostics go to stderr), reading with the
 * consumer token in FEED_TOKEN. SIGINT and SIGTERM stop it after the page being printed, its
 * checkpoint saved; another signal a second later ends it at once (exit code 130).
 * Exit codes: 0 done or stopped, 2 bad arguments or no FEED_TOKEN, 1 a refused request or any other failure.
 */

/**
 * A signal this long after the first ends the process at once. One Ctrl-C can arrive twice (the
 * terminal signals the whole process group, and npm forwards it to its child, which is this
 * process when the shell has exec'd it), and the second is the same request to stop.
 */
const FORCE_AFTER_MS = 1000;

async function main(): Promise<number> {
  let command;
  try {
    command = parseCommand(process.argv.slice(2), process.env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`feed: ${err.message}\n\n${USAGE}`);
    return 2;
  }
  const stop = new AbortController();
  let stoppingSince: number | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stoppingSince === undefined) {
      stoppingSince = Date.now();
      stop.abort(new Error(`stopped by ${signal}`));
    } else if (Date.now() - stoppingSince > FORCE_AFTER_MS) {
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A closed stdout (the reader of the pipe went away) is reported by the write that failed.
  process.stdout.on('error', () => undefined);
  return runFeed(command, {
    out: (text) => new Promise((resolve, reject) => process.stdout.write(text, (err) => (err ? reject(err) : resolve()))),
    err: (text) => console.error(text),
    signal: stop.signal,
  });
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`feed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
