import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';

// What every command's argument handling shares, without the database: the feed command, which
// reads over HTTP, starts without loading the driver.

/** Bad arguments, or a name the database does not know: exit code 2. */
export class UsageError extends Error {}

/** node:util parseArgs with positionals, its complaints (an unknown option, say) as UsageErrors. */
export function parseArguments<O extends ParseArgsOptionsConfig>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
