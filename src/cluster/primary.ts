import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { AggregatorRegistry } from 'prom-client';
import { describe } from '../http/requestLog';
import { isOurs, type ToPrimary, type ToWorker } from './messages';

export interface PrimaryOptions {
  workers: number;
  databaseUri: string;
  /** True on the local database: the first worker then makes the "local" partner when none exists. */
  local: boolean;
  /** How long workers get to finish what is in flight once told to stop; past it they are killed. */
  shutdownTimeoutMs: number;
  logger: Logger;
  /** Called when workers keep crashing: the instance should stop, and exit with a failure. */
  onGiveUp: () => void;
}

export interface RunningPrimary {
  /** Settles once every worker has started, or rejects when one exits first (nothing to serve with). */
  readonly started: Promise<string>;
  /** Tells every worker to stop and settles when all have exited: true when all exited cleanly. */
  stop(): Promise<boolean>;
}

/** A worker that keeps crashing is not started again more often than this. */
const CRASHES_ALLOWED = 5;
const CRASH_WINDOW_MS = 60_000;

/**
 * The primary of WORKERS processes sharing one port (node:cluster hands connections out in
 * turn). It serves no request itself: it starts the workers, tells them where the database is,
 * replaces one that crashes, sums their metrics for GET /metrics, and stops them all on a signal.
 * Readiness: a worker answers 200 only once every worker has started, so a load balancer never
 * sends traffic to a half-started instance; a crashed worker is replaced while the others serve.
 */
export function startPrimary(options: PrimaryOptions): RunningPrimary {
  const { logger } = options;
  const aggregator = new AggregatorRegistry();
  let stopping = false;
  let ready = false;
  const listening = new Set<number>();
  /**
   * Workers not yet exited, kept here: cluster.workers drops a worker only once it has both
   * exited and disconnected, in either order, so it may still list one that has exited.
   */
  const alive = new Set<number>();
  const crashes: number[] = [];
  const { promise: started, resolve: markStarted, reject: failStart } = Promise.withResolvers<string>();
  const { promise: exited, resolve: allExited } = Promise.withResolvers<void>();
  let clean = true;

  const send = (worker: Worker, message: ToWorker) => {
    if (worker.isConnected()) worker.send(message);
  };
  const broadcast = (message: ToWorker) => Object.values(cluster.workers ?? {}).forEach((worker) => worker && send(worker, message));

  const onMessage = (worker: Worker, message: unknown) => {
    if (!isOurs<ToPrimary>(message)) return;
    if (message.type === 'hello') {
      send(worker, { type: 'assignment', databaseUri: options.databaseUri, local: options.local, makesLocalPartner: worker.id === 1 });
      // A worker that came up after the stop was broadcast may have missed it.
      if (stopping) send(worker, { type: 'stop' });
    } else if (message.type === 'listening') {
      // Started after the stop began: it is stopping too, and the instance never becomes ready.
      if (stopping) return;
      listening.add(worker.id);
      if (ready) send(worker, { type: 'ready' });
      else if (listening.size === options.workers) {
        ready = true;
        broadcast({ type: 'ready' });
        markStarted(message.url);
      }
    } else if (message.type === 'metrics') {
      aggregator.clusterMetrics().then(
        (text) => send(worker, { type: 'metrics', id: message.id, text }),
        (err: unknown) => {
          logger.warn({ cause: describe(err) }, "the workers' metrics could not be gathered");
          send(worker, { type: 'metrics', id: message.id, error: 'the workers did not all answer' });
        },
      );
    }
  };

  const spawn = () => {
    const worker = cluster.fork();
    alive.add(worker.id);
    worker.on('message', (message: unknown) => onMessage(worker, message));
  };

  cluster.on('exit', (gone, code, signal) => {
    listening.delete(gone.id);
    alive.delete(gone.id);
    if (stopping) {
      // Only the stop itself decides the exit code; a worker replaced earlier does not.
      if (code !== 0) clean = false;
      if (alive.size === 0) allExited();
      return;
    }
    logger.error({ worker: gone.id, code, signal }, 'a worker exited');
    if (!ready) {
      failStart(new Error(`worker ${gone.id} exited (code ${code}, signal ${signal}) before every worker had started`));
      return;
    }
    const now = Date.now();
    crashes.push(now);
    while (crashes.length > 0 && crashes[0]! < now - CRASH_WINDOW_MS) crashes.shift();
    if (crashes.length > CRASHES_ALLOWED) {
      logger.fatal({ crashes: crashes.length, windowMs: CRASH_WINDOW_MS }, 'workers keep crashing; stopping the instance');
      options.onGiveUp();
      return;
    }
    spawn();
  });

  for (let i = 0; i < options.workers; i++) spawn();

  let stopped: Promise<boolean> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      stopping = true;
      if (alive.size === 0) return clean;
      broadcast({ type: 'stop' });
      // A worker bounds its own stop by SHUTDOWN_TIMEOUT_MS; one that hangs past it is killed.
      const killer = setTimeout(() => {
        for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGKILL');
      }, options.shutdownTimeoutMs + 1000);
      await exited;
      clearTimeout(killer);
      return clean;
    })());

  return { started, stop };
}
