import { ConfigError, loadConfig } from '../config';
import { canConnect, startFerretDb, type LocalDatabase } from '../localdb/ferretdb';
import { openStores } from '../store/stores';
import { USAGE, UsageError, parseCommand, runCommand } from './partnersCli';

/**
 * `npm run partners -- <command>`: manages partners in the database of MONGODB_URI or, when it
 * is unset, the local database (started for the command if `npm start` is not running it).
 * Exit codes: 0 done, 2 bad arguments or unknown partner, 1 anything else.
 */
async function main(argv: string[]): Promise<number> {
  let localDb: LocalDatabase | undefined;
  try {
    const command = parseCommand(argv);
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
      return await runCommand(command, stores.partners, {
        out: (text) => console.log(text),
        now: () => new Date(),
        defaultGraceMs: config.rotationGraceMs,
      });
    } finally {
      await stores.close();
    }
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError) {
      console.error(`partners: ${err.message}`);
      if (err instanceof UsageError && /command|argument|needs|--/.test(err.message)) console.error(`\n${USAGE}`);
      return 2;
    }
    console.error(`partners: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    await localDb?.stop();
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code), () => process.exit(1));
