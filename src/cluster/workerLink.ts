import { AggregatorRegistry, type Registry } from 'prom-client';
import { isOurs, type ToPrimary, type ToWorker } from './messages';

export type Assignment = Extract<ToWorker, { type: 'assignment' }>;

/** A GET /metrics waits this long for the primary's sum before it is answered as failed. */
const METRICS_WAIT_MS = 6000;

/** A worker's side of the channel to its primary (see primary.ts). */
export class WorkerLink {
  private everyWorkerStarted = false;
  private readonly waiting = new Map<number, { resolve: (text: string) => void; reject: (err: Error) => void }>();
  private nextId = 0;
  private onStop: (() => void) | undefined;
  /** A stop asked for before this worker could act on it (it was still starting). */
  private stopPending = false;
  private assigned: (assignment: Assignment) => void = () => undefined;

  /** `registry` is what this worker adds to the sum the primary makes for GET /metrics. */
  constructor(registry: Registry) {
    // Constructing one makes prom-client answer the primary's requests for this worker's metrics.
    new AggregatorRegistry();
    AggregatorRegistry.setRegistries([registry]);
    process.on('message', (message: unknown) => this.receive(message));
    // The primary is gone (killed, say): nothing would stop this worker any more, so it stops now.
    process.on('disconnect', () => this.stop());
  }

  /** Asks the primary where the database is. */
  assignment(): Promise<Assignment> {
    const answer = new Promise<Assignment>((resolve) => (this.assigned = resolve));
    this.send({ type: 'hello' });
    return answer;
  }

  listening(url: string): void {
    this.send({ type: 'listening', url });
  }

  /** True once every worker of the instance has started. */
  get ready(): boolean {
    return this.everyWorkerStarted;
  }

  /** Called when the primary asks this worker to stop (or goes away). */
  whenStopped(stop: () => void): void {
    this.onStop = stop;
    // Asked while still starting: the worker stops as soon as it can.
    if (this.stopPending) stop();
  }

  private stop(): void {
    if (this.onStop) this.onStop();
    else this.stopPending = true;
  }

  /** The metrics of every worker, summed by the primary. */
  metrics(): Promise<string> {
    const id = this.nextId++;
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error('the primary did not answer with the metrics in time'));
      }, METRICS_WAIT_MS);
      this.waiting.set(id, {
        resolve: (text) => (clearTimeout(timer), resolve(text)),
        reject: (err) => (clearTimeout(timer), reject(err)),
      });
      this.send({ type: 'metrics', id });
    });
  }

  private send(message: ToPrimary): void {
    if (process.connected) process.send?.(message);
  }

  private receive(message: unknown): void {
    if (!isOurs<ToWorker>(message)) return;
    if (message.type === 'assignment') this.assigned(message);
    else if (message.type === 'ready') this.everyWorkerStarted = true;
    else if (message.type === 'stop') this.stop();
    else if (message.type === 'metrics') {
      const waiter = this.waiting.get(message.id);
      this.waiting.delete(message.id);
      if (message.text !== undefined) waiter?.resolve(message.text);
      else waiter?.reject(new Error(message.error ?? 'no metrics'));
    }
  }
}
