import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/paths';
import type { ContractViolation } from '../../src/http/replyContract';
import { recordViolation } from './contractViolations';
import { sleep, within } from './time';

/** The built entry point (npm test builds before jest runs), exactly as `npm start` runs it. */
const SERVER = join(PROJECT_ROOT, 'dist', 'src', 'server.js');

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface BuiltServer {
  readonly pid: number;
  /** `http://127.0.0.1:<port>`: the port it said it listens on, or PORT when it has not said yet. */
  readonly url: string;
  /** Everything the process wrote so far. */
  stdout: () => string;
  stderr: () => string;
  /** Its JSON log lines so far, parsed (other lines are left out). */
  logs: () => Record<string, unknown>[];
  /** Settles once the process has exited and its output is read. */
  readonly exited: Promise<Exit>;
  /** Waits until `condition` holds; fails, with what the process wrote, if it exits or `timeoutMs` passes first. */
  waitFor: (condition: () => boolean | Promise<boolean>, what: string, timeoutMs?: number) => Promise<void>;
  /** Waits for the process to end by itself; kills it and fails if it has not within `timeoutMs`. */
  exit: (timeoutMs?: number) => Promise<Exit>;
  /** Sends `signal` to the process and waits for its exit; kills it and fails if it has not within `timeoutMs`. */
  stop: (signal?: NodeJS.Signals, timeoutMs?: number) => Promise<Exit>;
}

export interface RunOptions {
  /** Options for the runtime, before the entry point (`--import` of a module that changes what it sees, for one). */
  nodeOptions?: string[];
}

const running = new Set<BuiltServer>();

/** A reply the server logged as breaking the contract fails the test that caused it, as in-process. */
function reportViolations(lines: string): void {
  for (const line of lines.split('\n')) {
    if (!line.includes('"msg":"reply breaks the contract"')) continue;
    const { operation, status, problems } = JSON.parse(line) as ContractViolation;
    recordViolation({ operation, status, problems });
  }
}

/**
 * Runs the built server with the project's Node.js and only PATH, a support address, reply checks, one worker and `env` in its environment,
 * collecting what it writes; it is not waited for.
 */
export function runBuiltServer(env: Record<string, string>, options: RunOptions = {}): BuiltServer {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [...(options.nodeOptions ?? []), SERVER], {
    // A support address, which the service requires with a production database (MONGODB_URI), and
    // every reply checked against the spec, as in-process apps are (see contractViolations.ts).
    // One process unless a test asks for workers: these tests read one process's output and signals.
    env: { PATH: process.env.PATH ?? '', SUPPORT_EMAIL: 'support@example.test', VALIDATE_RESPONSES: 'on', FEED_SEQUENCER: 'off', WORKERS: '1', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    const complete = stdout.lastIndexOf('\n') + 1;
    stdout += text;
    reportViolations(stdout.slice(complete, stdout.lastIndexOf('\n') + 1));
  });
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  // 'exit' can come before the last output is read; the pipes close soon after, unless a child of
  // the server holds them, so their end is awaited only briefly.
  const streamsClosed = Promise.all([once(child.stdout, 'close'), once(child.stderr, 'close')]);
  const exited: Promise<Exit> = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (err) => {
      stderr += `\n[spawn failed: ${err.message}]`;
      resolve({ code: null, signal: null });
    });
  }).then(async (exit) => {
    await within(streamsClosed, 2000);
    running.delete(server);
    return exit;
  });
  const written = () => `stdout:\n${stdout.slice(-2000)}\nstderr:\n${stderr.slice(-2000)}`;
  const hasExited = () => child.exitCode !== null || child.signalCode !== null;

  const bounded = async (timeoutMs: number, what: string): Promise<Exit> => {
    const outcome = await within(exited, timeoutMs);
    if (outcome) return outcome;
    child.kill('SIGKILL');
    await exited;
    throw new Error(`the server did not ${what} within ${timeoutMs} ms and was killed; it wrote:\n${written()}`);
  };

  const server: BuiltServer = {
    pid: child.pid ?? 0,
    get url() {
      const listening = server.logs().find((line) => line.msg === 'listening');
      const port = typeof listening?.url === 'string' ? new URL(listening.url).port : env.PORT;
      return `http://127.0.0.1:${port}`;
    },
    stdout: () => stdout,
    stderr: () => stderr,
    logs: () => {
      const lines: Record<string, unknown>[] = [];
      for (const line of stdout.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // Not a log line (or one still being written).
        }
      }
      return lines;
    },
    exited,
    waitFor: async (condition, what, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!(await condition())) {
        if (hasExited() || Date.now() > deadline) {
          throw new Error(`${what}: not reached (exit code ${child.exitCode}, signal ${child.signalCode}); the process wrote:\n${written()}`);
        }
        await sleep(50);
      }
    },
    exit: (timeoutMs = 30_000) => bounded(timeoutMs, 'exit'),
    stop: (signal = 'SIGTERM', timeoutMs = 15_000) => {
      if (!hasExited()) child.kill(signal);
      return bounded(timeoutMs, `stop on ${signal}`);
    },
  };
  running.add(server);
  return server;
}

/**
 * Starts the built server and waits until it serves: until it logs "listening", or, when its log
 * level hides that line, until GET /healthz on PORT answers 200. If it does not, it is killed.
 */
export async function startBuiltServer(
  env: Record<string, string>,
  options: RunOptions & { readyBy?: 'log' | 'healthz'; timeoutMs?: number } = {},
): Promise<BuiltServer> {
  const server = runBuiltServer(env, options);
  try {
    if (options.readyBy === 'healthz') {
      if (!env.PORT) throw new Error('waiting on /healthz needs PORT in the environment');
      const healthy = async () => (await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(1000) }).catch(() => undefined))?.status === 200;
      await server.waitFor(healthy, 'GET /healthz answering 200', options.timeoutMs);
    } else {
      await server.waitFor(() => server.logs().some((line) => line.msg === 'listening'), 'the "listening" log line', options.timeoutMs);
    }
  } catch (err) {
    await server.stop('SIGKILL', 5000).catch(() => undefined);
    throw err;
  }
  return server;
}

/** Stops every server these helpers started that is still running (for afterEach: nothing outlives its test). */
export async function stopBuiltServers(): Promise<void> {
  await Promise.all([...running].map((server) => server.stop('SIGKILL', 5000).catch(() => undefined)));
}
