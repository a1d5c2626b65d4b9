/** Shared by the unit tests of the event writer, its queue and its event_id hint. */
import { AppError } from '../../../src/errors';
import type { EventDocument, UnnumberedEvent } from '../../../src/store/eventDocument';
import type { InsertOutcome, SequencedInsertPort } from '../../../src/store/eventWriter';
import { sleep } from '../../helpers/time';

/** An in-memory stand-in for the events collection with a unique event_id, for the writer's logic alone. */
export class MemoryEvents {
  readonly stored = new Map<number, EventDocument>();
  /** Stored, but not yet acknowledged by a majority (invisible to majority reads). */
  readonly unacknowledged = new Set<number>();
  /** Whether a duplicate names its index, as MongoDB does (FerretDB does not). */
  namesIndex = false;
  inserts = 0;
  delayMs = 0;
  /** Scripted inserts, used in order before the normal behaviour resumes. */
  scripted: ((docs: EventDocument[]) => Promise<InsertOutcome>)[] = [];
  /** The hint of the highest event_id, as writers record it; it may lag. */
  hint = 0;
  /** The last event_id leased. */
  leased = 0;
  /** How many event_ids each block holds. */
  blockSize = 10;
  /** Numbers the writers told unused, in the order told. */
  readonly skipped: number[] = [];

  port(): SequencedInsertPort {
    return {
      findByIdempotencyKey: async (key) => [...this.stored.values()].find((d) => d.idempotency_key === key && !this.unacknowledged.has(d.event_id)) ?? null,
      lease: async () => {
        await this.pause();
        return this.leaseNow();
      },
      skip: (first, last) => {
        for (let id = first; id <= last; id++) this.skipped.push(id);
      },
      recordHighest: async (highest) => {
        this.hint = Math.max(this.hint, highest);
      },
      insertOrdered: async (docs) => {
        this.inserts++;
        const scripted = this.scripted.shift();
        if (scripted) return scripted(docs);
        await this.pause();
        return this.insertNow(docs);
      },
    };
  }

  /** Leases the next block (`count` numbers, default a block), as an instance does before its insert. */
  leaseNow(count = this.blockSize): { first: number; last: number } {
    this.leased += count;
    return { first: this.leased - count + 1, last: this.leased };
  }

  insertNow(docs: EventDocument[]): InsertOutcome {
    for (const [i, doc] of docs.entries()) {
      if (this.stored.has(doc.event_id)) return { inserted: i, failure: { kind: 'duplicate', ...(this.namesIndex ? { index: 'event_id' } : {}) } };
      if ([...this.stored.values()].some((d) => d.idempotency_key === doc.idempotency_key)) {
        return { inserted: i, failure: { kind: 'duplicate', ...(this.namesIndex ? { index: 'idempotency_key' } : {}) } };
      }
      this.stored.set(doc.event_id, doc);
    }
    return { inserted: docs.length };
  }

  exact(): number {
    return Math.max(0, ...this.stored.keys());
  }

  private pause() {
    return sleep(Math.random() * this.delayMs);
  }

  /** True when stored ids run 1..n without a hole. */
  contiguous(): boolean {
    const ids = [...this.stored.keys()].sort((a, b) => a - b);
    return ids.every((id, i) => id === i + 1);
  }

  /** True when every number leased is either stored or told unused, and none is both. */
  accountedFor(): boolean {
    const ids = [...this.stored.keys(), ...this.skipped].sort((a, b) => a - b);
    return ids.length === this.leased && ids.every((id, i) => id === i + 1);
  }
}

export const classify = (err: unknown) => new AppError('database_unavailable', [], {}, { cause: err });

let keys = 0;
export function doc(tag: string, key = `key-${++keys}`): UnnumberedEvent {
  return {
    idempotency_key: key,
    payload_fingerprint: `fp-${tag}`,
    event_type: 'appointment.scheduled',
    appointment_id: tag,
    patient_id: 'P1',
    timestamp: new Date(0),
    timestamp_text: '1970-01-01T00:00:00Z',
    notes: null,
    received_at: new Date(0),
    partner: 'p',
  };
}

export async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (err) {
    return err as AppError;
  }
  throw new Error('expected a rejection');
}
