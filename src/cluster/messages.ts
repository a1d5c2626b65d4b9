/**
 * What the primary and its workers say to each other over the cluster's IPC channel. Only
 * settings the workers cannot read from the environment, states and metrics texts cross it:
 * never a request, a key or patient data.
 */
export type ToWorker =
  /** The answer to `hello`: where the database is, and whether this worker makes the local partner. */
  | { type: 'assignment'; databaseUri: string; local: boolean; makesLocalPartner: boolean }
  /** Every worker has started once: readiness may answer 200. */
  | { type: 'ready' }
  /** Shutdown has begun: answer what is in flight, then exit. */
  | { type: 'stop' }
  | { type: 'metrics'; id: number; text?: string; error?: string };

export type ToPrimary =
  | { type: 'hello' }
  | { type: 'listening'; url: string }
  /** A GET /metrics asks for the metrics of every worker, summed by the primary. */
  | { type: 'metrics'; id: number };

const TYPES = new Set(['assignment', 'ready', 'stop', 'metrics', 'hello', 'listening']);

/** Tells our messages from the others on the channel (prom-client's own, for one). */
export function isOurs<T extends { type: string }>(message: unknown): message is T {
  return typeof message === 'object' && message !== null && TYPES.has((message as { type?: unknown }).type as string);
}
