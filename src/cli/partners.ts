import { main } from './common';
import { USAGE, parseCommand, runCommand } from './partnersCli';

/**
 * `npm run partners -- <command>`: manages partners in the database of MONGODB_URI or, when it
 * is unset, the local database (started for the command if `npm start` is not running it).
 * Exit codes: 0 done, 2 bad arguments or unknown partner, 1 anything else.
 */
main({ name: 'partners', usage: USAGE, parse: parseCommand, run: (command, stores, io) => runCommand(command, stores.partners, io) });
