import { ConfigError, loadConfig, parseDuration } from '../config';
import { canConnect, startFerretDb, type LocalDatabase } from '../localdb/ferretdb';
import { openStores, type Stores } from '../store/stores';
import { UsageError } from './arguments';

export { UsageError, parseArguments } from './arguments';

// What the management commands (partners, consumers) share: names, durations, arguments, and
// how a command reaches the database and ends.

export interface CliIo {
  out: (text: string) => void;
  now: () => Date;
  defaultGraceMs: number;
}

export const NAME_RULE = "Names are 1 to 63 characters: lower-case letters, digits, '.', '_' and '-', starting with a letter or digit.";
const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** The name, when it follows NAME_RULE; otherwise a UsageError naming what it was meant to name. */
/** Names the metrics use for requests whose key named no partner: no partner may take them. */
const RESERVED = new Set(['unauthenticated']);

export function checkName(name: string, kind: string): string {
  if (!NAME.test(name)) throw new UsageError(`"${name}" is not a valid ${kind} name`);
  if (RESERVED.has(name)) throw new UsageError(`"${name}" is reserved; choose another ${kind} name`);
  return name;
}

/** --grace in milliseconds (undefined when not given); a UsageError when it is not a duration. */
export function parseGrace(grace: string | undefined): number | undefined {
  if (grace === undefined) return undefined;
  const ms = parseDuration(grace);
  if (ms === undefined) throw new UsageError('--grace must be a duration such as 30s, 90m, 24h or 7d (at most 30d)');
  return ms;
}

export interface Program<C> {
  /** The command's name, as `npm run <name>` runs it and as its messages start. */
  name: string;
  usage: string;
  parse: (argv: string[]) => C;
  run: (command: C, stores: Stores, io: CliIo) => Promise<number>;
}

/**
 * Runs a management command against the database of MONGODB_URI or, when it is unset, the local
 * database (started for the command if `npm start` is not running it).
 * Exit codes: 0 done, 2 bad arguments or unknown name, 1 anything else.
 */
export async function runProgram<C>(program: Program<C>, argv: string[]): Promise<number> {
  let localDb: LocalDatabase | undefined;
  try {
    const command = program.parse(argv);
    const config = loadConfig();
    let uri = config.mongodbUri;
    if (uri === undefined) {
      if (!(await canConnect(config.localDbPort))) {
        localDb = await startFerretDb({ dataDir: config.localDbDir, port: config.localDbPort });
      }
      uri = `mongodb://127.0.0.1:${config.localDbPort}/`;
    }
    const stores = await openStores({ uri, dbName: config.mongodbDb, timeoutMs: Math.max(config.dbTimeoutMs, 5000) });
    try {
      return await program.run(command, stores, {
        out: (text) => console.log(text),
        now: () => new Date(),
        defaultGraceMs: config.rotationGraceMs,
      });
    } finally {
      await stores.close();
    }
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError) {
      console.error(`${program.name}: ${err.message}`);
      if (err instanceof UsageError && /command|argument|needs|--/.test(err.message)) console.error(`\n${program.usage}`);
      return 2;
    }
    console.error(`${program.name}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    await localDb?.stop();
  }
}

/** Runs the program on the process's arguments and exits with its code. */
export function main<C>(program: Program<C>): void {
  runProgram(program, process.argv.slice(2)).then(
    (code) => process.exit(code),
    () => process.exit(1),
  );
}
