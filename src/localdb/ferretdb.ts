import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { PROJECT_ROOT } from '../paths';

/**
 * The local and test database: FerretDB (MongoDB wire protocol) on SQLite, on 127.0.0.1 only,
 * with its data and state in `dataDir`. Production uses MONGODB_URI instead.
 */
export interface LocalDatabase {
  uri: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
  /** SIGKILL, for fault tests. */
  kill(): Promise<void>;
}

export const FERRETDB_BIN = join(PROJECT_ROOT, '.local', 'bin', 'ferretdb');

export function installFerretDb(): void {
  const result = spawnSync('bash', [join(PROJECT_ROOT, 'scripts', 'install-ferretdb.sh')], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.status !== 0) throw new Error('the local database (FerretDB) could not be installed; see the message above');
}

export async function startFerretDb(options: { dataDir: string; port: number; startTimeoutMs?: number }): Promise<LocalDatabase> {
  installFerretDb();
  const dataDir = resolve(PROJECT_ROOT, options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const logPath = join(dataDir, 'ferretdb.log');
  const log = createWriteStream(logPath, { flags: 'a' });
  await once(log, 'open');
  const child = spawn(
    FERRETDB_BIN,
    [
      '--handler=sqlite',
      `--sqlite-url=file:${dataDir}/`,
      `--state-dir=${dataDir}`,
      `--listen-addr=127.0.0.1:${options.port}`,
      '--debug-addr=-',
      '--telemetry=disable',
      '--log-level=warn',
      '--log-format=json',
    ],
    { stdio: ['ignore', log, log] },
  );
  const exited = once(child, 'exit');
  try {
    await waitForPort(options.port, child, options.startTimeoutMs ?? 20000);
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    const tail = readFileSync(logPath, 'utf8').split('\n').slice(-5).join('\n');
    throw new Error(`the local database did not start on port ${options.port}: ${(err as Error).message}\n${tail}`);
  }
  const stopWith = (signal: NodeJS.Signals) => async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
      const forced = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(forced);
    }
    log.end();
  };
  return {
    uri: `mongodb://127.0.0.1:${options.port}/`,
    port: options.port,
    pid: child.pid!,
    stop: stopWith('SIGTERM'),
    kill: stopWith('SIGKILL'),
  };
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error('it exited during start-up');
    if (await canConnect(port)) {
      // Something answering does not prove it is ours: a process that failed to bind exits at once.
      await new Promise((r) => setTimeout(r, 150));
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`port ${port} is taken by another process`);
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no answer within ${timeoutMs} ms`);
}

export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolveConnect) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolveConnect(true);
    });
    socket.once('error', () => resolveConnect(false));
  });
}
