import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics. Labels hold only operation names, statuses, event types, error kinds and
 * the names of fields defined by the spec: never an identifier, a note or a key.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly requests = new Counter({
    name: 'webhook_http_requests_total',
    help: 'Requests answered, by operation, status and event_type (event_type "none" when not known).',
    labelNames: ['operation', 'status', 'event_type'] as const,
    registers: [this.registry],
  });

  readonly rejections = new Counter({
    name: 'webhook_rejections_total',
    help: 'Requests not stored as a new event, by reason (validation, auth, rate_limit, idempotent_replay, ...) and, for validation, the field.',
    labelNames: ['reason', 'field'] as const,
    registers: [this.registry],
  });

  readonly deliveries = new Counter({
    name: 'webhook_deliveries_total',
    help: 'Requests to receiving operations, by partner ("unauthenticated" when no key named one), mode (live, test, none), format (json, hl7v2, fhir) and outcome (accepted, replayed, refused, rate_limited, failed).',
    labelNames: ['partner', 'mode', 'format', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly deliveryLogDropped = new Counter({
    name: 'webhook_delivery_log_dropped_total',
    help: 'Delivery records not written to the delivery log (the database failed or too many were waiting); the events themselves are unaffected.',
    registers: [this.registry],
  });

  readonly eventsStored = new Counter({
    name: 'webhook_events_stored_total',
    help: 'Events stored and acknowledged by the database.',
    registers: [this.registry],
  });

  readonly requestSeconds = new Histogram({
    name: 'webhook_http_request_duration_seconds',
    help: 'Time from request to reply, by operation.',
    labelNames: ['operation'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly dbWriteSeconds = new Histogram({
    name: 'webhook_db_write_duration_seconds',
    help: 'Time of one database insert (a batch of events), acknowledged or failed.',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly dbBatchSize = new Histogram({
    name: 'webhook_db_write_batch_size',
    help: 'Events per database insert.',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
    registers: [this.registry],
  });

  /**
   * The text GET /metrics answers with: this process's registry, or with WORKERS the sum over
   * every worker, which the primary makes (cluster/workerLink.ts).
   */
  gather: () => Promise<string> = () => this.registry.metrics();

  /** Set once the database is connected; the webhook_db_up gauge calls it at each scrape. */
  pingDatabase: () => Promise<void> = () => Promise.reject(new Error('not connected'));

  /** Set once the event store is open; the write queue gauges read it at each scrape. */
  writeQueue: () => { queued: number; peak: number; limit: number } = () => ({ queued: 0, peak: 0, limit: 0 });

  readonly writeQueueRejections = new Counter({
    name: 'webhook_write_queue_full_total',
    help: 'Events answered 503 at once because WRITE_QUEUE_MAX events were already waiting for the database.',
    registers: [this.registry],
  });

  readonly rateLimitShared = new Gauge({
    name: 'webhook_rate_limit_shared',
    help: '1 while partner rate limits are held by all instances together through the database; 0 while this instance, not reaching it, limits partners alone (each instance then allows a partner its whole limit; with WORKERS, 0 when any worker does).',
    registers: [this.registry],
    aggregator: 'min',
  });

  readonly rateLimitLocalDecisions = new Counter({
    name: 'webhook_rate_limit_local_decisions_total',
    help: 'Partner rate limit decisions taken by an instance alone because the database did not answer for the shared limit.',
    registers: [this.registry],
  });

  readonly notificationsCompleted = new Counter({
    name: 'webhook_notifications_completed_total',
    help: 'FHIR notifications whose write was cut short, taken up again by the service: completed (every event stored), refused (one never can be; the record is dropped) or failed (not completed for another reason, most often the database not answering; tried again later).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly dbUp: Gauge;

  /** Set once the stores are open; the event numbering counters read it at each scrape. */
  numbering: () => { leases: number; conflicts: number; retries: number } = () => ({ leases: 0, conflicts: 0, retries: 0 });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // Every outcome has a series from the start, so an alert on one sees its first increase.
    for (const outcome of ['completed', 'refused', 'failed']) this.notificationsCompleted.inc({ outcome }, 0);
    const queue = () => this.writeQueue();
    new Gauge({
      name: 'webhook_write_queue_events',
      help: 'Events waiting for a database write now.',
      registers: [this.registry],
      collect() {
        this.set(queue().queued);
      },
    });
    new Gauge({
      name: 'webhook_write_queue_peak_events',
      help: 'The most events that have waited for a database write at once since start (at most WRITE_QUEUE_MAX), in the busiest worker.',
      registers: [this.registry],
      aggregator: 'max',
      collect() {
        this.set(queue().peak);
      },
    });
    const numbering = () => this.numbering();
    // Counted by the store since start; each scrape sets the counter to that total.
    const total = (name: string, help: string, field: 'leases' | 'conflicts' | 'retries') =>
      new Counter({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.reset();
          this.inc(numbering()[field]);
        },
      });
    total('webhook_event_id_leases_total', 'Blocks of event_ids taken (one per batch of events written, more for a batch larger than a block).', 'leases');
    total('webhook_event_id_conflicts_total', 'Event numbering attempts refused because another instance took the lease or the event_id first.', 'conflicts');
    total('webhook_event_id_retries_total', 'Event numbering attempts made again after such a refusal.', 'retries');
    const ping = () => this.pingDatabase();
    this.dbUp = new Gauge({
      name: 'webhook_db_up',
      help: '1 when the database answered a ping at scrape time, 0 when not (with WORKERS, 0 when any worker\'s ping failed).',
      registers: [this.registry],
      aggregator: 'min',
      async collect() {
        this.set(await ping().then(
          () => 1,
          () => 0,
        ));
      },
    });
  }
}
