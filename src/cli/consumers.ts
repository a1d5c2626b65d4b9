import { main } from './common';
import { USAGE, parseCommand, runCommand } from './consumersCli';

/**
 * `npm run consumers -- <command>`: manages consumers (read access to stored events) in the
 * database of MONGODB_URI or, when it is unset, the local database (started for the command if
 * `npm start` is not running it).
 * Exit codes: 0 done, 2 bad arguments, unknown consumer or unknown --partner, 1 anything else.
 */
main({ name: 'consumers', usage: USAGE, parse: parseCommand, run: runCommand });
