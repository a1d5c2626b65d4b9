import { AppError } from '../../src/errors';
import type { EventDocument, UnnumberedEvent } from '../../src/store/eventDocument';
import { EventWriter, type InsertOutcome, type SequencedInsertPort } from '../../src/store/eventWriter';

/** An in-memory stand-in for the events collection with a unique event_id, for the writer's logic alone. */
class MemoryEvents {
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
  exactReads = 0;

  port(): SequencedInsertPort {
    return {
      findByIdempotencyKey: async (key) => [...this.stored.values()].find((d) => d.idempotency_key === key && !this.unacknowledged.has(d.event_id)) ?? null,
      highestEventId: async (taken) => {
        await this.pause();
        if (taken === undefined || this.hint >= taken) return this.hint;
        this.exactReads += 1;
        this.hint = Math.max(this.hint, this.exact());
        return this.hint;
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
    return new Promise((r) => setTimeout(r, Math.random() * this.delayMs));
  }

  /** True when stored ids run 1..n without a hole. */
  contiguous(): boolean {
    const ids = [...this.stored.keys()].sort((a, b) => a - b);
    return ids.every((id, i) => id === i + 1);
  }
}

const classify = (err: unknown) => new AppError('database_unavailable', [], {}, { cause: err });

let keys = 0;
function doc(tag: string, key = `key-${++keys}`): UnnumberedEvent {
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

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (err) {
    return err as AppError;
  }
  throw new Error('expected a rejection');
}

describe('EventWriter', () => {
  test('when many events arrive at once, then they are numbered 1..n in few batched inserts', async () => {
    const db = new MemoryEvents();
    db.delayMs = 2;
    const writer = new EventWriter(db.port(), { timeoutMs: 5000, classify });

    const written = (await Promise.all(Array.from({ length: 100 }, (_, i) => writer.write(doc(`e${i}`))))).map((r) => r.doc);

    expect(written.map((d) => d.event_id).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    for (const [i, d] of written.entries()) expect(d.appointment_id).toBe(`e${i}`);
    expect(db.inserts).toBeLessThan(10);
    expect(db.contiguous()).toBe(true);
  });

  test('when three writers share one database, then ids are unique, without holes, and a write after an acknowledgement gets a larger id', async () => {
    const db = new MemoryEvents();
    db.delayMs = 3;
    const writers = [0, 1, 2].map(() => new EventWriter(db.port(), { timeoutMs: 10000, classify }));
    let highestAcked = 0;
    let violations = 0;
    const client = async (writer: EventWriter, n: number) => {
      for (let i = 0; i < n; i++) {
        const floor = highestAcked;
        const { doc: written } = await writer.write(doc('x'));
        if (written.event_id <= floor) violations++;
        highestAcked = Math.max(highestAcked, written.event_id);
      }
    };

    await Promise.all(writers.flatMap((w) => [client(w, 40), client(w, 40)]));

    expect(db.stored.size).toBe(240);
    expect(db.contiguous()).toBe(true);
    expect(violations).toBe(0);
  });

  test('when another instance took the next ids, then the writer re-reads the highest id and continues above it', async () => {
    const db = new MemoryEvents();
    const writer = new EventWriter(db.port(), { timeoutMs: 5000, classify });
    expect((await writer.write(doc('a'))).doc.event_id).toBe(1);
    db.insertNow([2, 3, 4].map((event_id) => ({ event_id, ...doc('other') })));

    expect((await writer.write(doc('b'))).doc.event_id).toBe(5);
    expect(db.contiguous()).toBe(true);
  });

  test('when the hint lags behind the stored events, then a taken number sends the writer to the exact highest once, and numbering continues without a hole', async () => {
    const db = new MemoryEvents();
    const writer = new EventWriter(db.port(), { timeoutMs: 5000, classify });
    for (const tag of ['a', 'b', 'c']) await writer.write(doc(tag));
    // Another instance stored 4 and 5, then stopped before recording them in the hint.
    db.insertNow([4, 5].map((event_id) => ({ event_id, ...doc(`other-${event_id}`) })));
    db.hint = 3;
    const fresh = new EventWriter(db.port(), { timeoutMs: 5000, classify });
    expect((await fresh.write(doc('after'))).doc.event_id).toBe(6);
    expect(db.exactReads).toBe(1);
    await fresh.flushHint();
    expect(db.hint).toBe(6);
    expect(db.contiguous()).toBe(true);
  });

  test('when raising the hint hangs, then writes go on without waiting for it, and the hint catches up once it answers', async () => {
    const db = new MemoryEvents();
    const port = db.port();
    let release!: () => void;
    const hanging = new Promise<void>((r) => (release = r));
    let raises = 0;
    const writer = new EventWriter(
      {
        ...port,
        recordHighest: async (highest) => {
          raises += 1;
          if (raises === 1) await hanging;
          await port.recordHighest(highest);
        },
      },
      { timeoutMs: 1000, classify },
    );
    for (const tag of ['a', 'b', 'c', 'd']) await writer.write(doc(tag));
    expect(db.contiguous()).toBe(true);
    expect(db.stored.size).toBe(4);
    // One raise at a time: the later ones wait for the hanging one, then jump to the highest.
    expect(raises).toBe(1);
    release();
    await new Promise((r) => setTimeout(r, 150));
    expect(db.hint).toBe(4);
    expect(raises).toBe(2);
  });

  test('when raising the hint fails, then it is raised again after the next batch', async () => {
    const db = new MemoryEvents();
    const port = db.port();
    let fail = true;
    const writer = new EventWriter(
      {
        ...port,
        recordHighest: async (highest) => {
          if (fail) throw new Error('hint write failed');
          await port.recordHighest(highest);
        },
      },
      { timeoutMs: 1000, classify },
    );
    await writer.write(doc('a'));
    await new Promise((r) => setTimeout(r, 5));
    expect(db.hint).toBe(0);
    fail = false;
    await writer.write(doc('b'));
    await new Promise((r) => setTimeout(r, 150));
    expect(db.hint).toBe(2);
  });

  test('when many batches are stored in a moment, then the hint is raised a few times, not once per batch, and a flush makes it exact', async () => {
    const db = new MemoryEvents();
    const port = db.port();
    let raises = 0;
    const writer = new EventWriter({ ...port, recordHighest: (highest) => (raises++, port.recordHighest(highest)) }, { timeoutMs: 1000, classify });
    for (let i = 0; i < 50; i++) await writer.write(doc(`quick-${i}`));
    expect(raises).toBeLessThanOrEqual(2);
    await writer.flushHint();
    expect(db.hint).toBe(50);
  });

  test('when the database says a duplicate was on event_id, then the writer does not look the key up and numbers the event again', async () => {
    const db = new MemoryEvents();
    db.namesIndex = true;
    let lookups = 0;
    const port = db.port();
    const writer = new EventWriter({ ...port, findByIdempotencyKey: (key) => (lookups++, port.findByIdempotencyKey(key)) }, { timeoutMs: 5000, classify });
    db.insertNow([{ event_id: 1, ...doc('other-instance') }]);
    expect((await writer.write(doc('mine'))).doc.event_id).toBe(2);
    expect(lookups).toBe(0);
  });

  test('when the database refuses one document, then only that event fails (500) and the others are numbered without a hole', async () => {
    const db = new MemoryEvents();
    const writer = new EventWriter(db.port(), { timeoutMs: 5000, classify });
    let openGate!: () => void;
    const gate = new Promise<void>((r) => (openGate = r));
    db.scripted.push(
      // The first insert waits, so the next three events queue up into one batch...
      async (docs) => {
        await gate;
        return db.insertNow(docs);
      },
      // ...of which the database stores the first and refuses the second.
      async (docs) => {
        db.insertNow(docs.slice(0, 1));
        return { inserted: 1, failure: { kind: 'rejected', cause: new Error('refused') } };
      },
    );
    const held = writer.write(doc('held'));
    const batch = ['a', 'b', 'c'].map((t) => writer.write(doc(t)));
    openGate();
    await held;

    const results = await Promise.allSettled(batch);

    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'internal' });
    expect([...db.stored.values()].map((d) => [d.event_id, d.appointment_id])).toEqual([
      [1, 'held'],
      [2, 'a'],
      [3, 'c'],
    ]);
  });

  test('when an insert fails with an unknown outcome, then its events get the classified error and the next write re-reads the highest id', async () => {
    const db = new MemoryEvents();
    const writer = new EventWriter(db.port(), { timeoutMs: 5000, classify });
    db.scripted.push(async (docs) => {
      db.insertNow(docs); // stored after all, but the reply was lost
      throw new Error('socket closed');
    });

    const err = await rejection(writer.write(doc('lost-reply')));
    expect(err.code).toBe('database_unavailable');

    expect((await writer.write(doc('next'))).doc.event_id).toBe(2);
    expect(db.contiguous()).toBe(true);
  });

  test('when the database does not answer in time, then the write fails with database_unavailable and a queued event is never written later', async () => {
    const db = new MemoryEvents();
    const writer = new EventWriter(db.port(), { timeoutMs: 50, classify });
    let release!: () => void;
    db.scripted.push((docs) => new Promise((resolve) => (release = () => resolve(db.insertNow(docs)))));

    const inFlight = writer.write(doc('in-flight'));
    await new Promise((r) => setTimeout(r, 5));
    const queued = writer.write(doc('queued'));
    expect((await rejection(inFlight)).code).toBe('database_unavailable');
    expect((await rejection(queued)).code).toBe('database_unavailable');

    release();
    await new Promise((r) => setTimeout(r, 20));
    expect([...db.stored.values()].map((d) => d.appointment_id)).toEqual(['in-flight']);
    expect(writer.queueStats.queued).toBe(0);
  });

  test('when the queue is at its bound, then a further write fails at once with database_unavailable, and the queue never grows past the bound', async () => {
    const db = new MemoryEvents();
    const writer = new EventWriter(db.port(), { timeoutMs: 60_000, maxQueued: 3, classify });
    let release!: () => void;
    db.scripted.push((docs) => new Promise((resolve) => (release = () => resolve(db.insertNow(docs)))));

    const inFlight = writer.write(doc('in-flight'));
    await new Promise((r) => setTimeout(r, 5));
    const queued = [1, 2, 3].map((i) => writer.write(doc(`queued-${i}`)));
    const refused = writer.write(doc('refused'));
    expect((await rejection(refused)).code).toBe('database_unavailable');
    expect(writer.queueStats).toEqual({ queued: 3, peak: 3, limit: 3 });

    release();
    await inFlight;
    await Promise.all(queued);
    expect([...db.stored.values()].map((d) => d.appointment_id)).toEqual(['in-flight', 'queued-1', 'queued-2', 'queued-3']);
    expect(writer.queueStats).toEqual({ queued: 0, peak: 3, limit: 3 });
  });

  test('when queued writes expire in any order, then each leaves the queue, is never written, and the rest keep their order', async () => {
    const db = new MemoryEvents();
    const writer = new EventWriter(db.port(), { timeoutMs: 60_000, classify });
    let release!: () => void;
    db.scripted.push((docs) => new Promise((resolve) => (release = () => resolve(db.insertNow(docs)))));
    const inFlight = writer.write(doc('in-flight'));
    await new Promise((r) => setTimeout(r, 5));
    // Every other queued write has a short deadline of its own.
    const writes = Array.from({ length: 1000 }, (_, i) => writer.write(doc(`q-${i}`), i % 2 === 0 ? 20 : 60_000));
    const outcomes = writes.map((w) => w.then(() => 'stored', (err: AppError) => err.code));
    await new Promise((r) => setTimeout(r, 60));
    expect(writer.queueStats.queued).toBe(500);

    release();
    await inFlight;
    const results = await Promise.all(outcomes);
    expect(results.filter((r) => r === 'database_unavailable')).toHaveLength(500);
    const stored = [...db.stored.values()].sort((a, b) => a.event_id - b.event_id).map((d) => d.appointment_id);
    expect(stored).toEqual(['in-flight', ...Array.from({ length: 500 }, (_, i) => `q-${2 * i + 1}`)]);
    expect(db.contiguous()).toBe(true);
  });

  test('when a write is given no time left, then it fails at once and nothing is queued', async () => {
    const db = new MemoryEvents();
    const writer = new EventWriter(db.port(), { timeoutMs: 5000, classify });
    expect((await rejection(writer.write(doc('late'), 0))).code).toBe('database_unavailable');
    expect(writer.queueStats.peak).toBe(0);
    expect(db.inserts).toBe(0);
  });

  test('when an event keeps losing its id to other instances, then it fails with database_unavailable instead of looping', async () => {
    const db = new MemoryEvents();
    const port = db.port();
    const writer = new EventWriter(
      { ...port, insertOrdered: async () => ({ inserted: 0, failure: { kind: 'duplicate' } }) },
      { timeoutMs: 5000, maxIdConflicts: 3, classify },
    );
    expect((await rejection(writer.write(doc('unlucky')))).code).toBe('database_unavailable');
  });

  test('when an event with the same idempotency key is already stored, then the stored event comes back as a replay and nothing new is stored', async () => {
    const db = new MemoryEvents();
    const writer = new EventWriter(db.port(), { timeoutMs: 5000, classify });
    const original = await writer.write(doc('first', 'same-key'));

    const repeat = await writer.write(doc('second', 'same-key'));

    expect(original.replayed).toBe(false);
    expect(repeat).toEqual({ doc: original.doc, replayed: true });
    expect(db.stored.size).toBe(1);
    expect((await writer.write(doc('third'))).doc.event_id).toBe(2);
  });

  test('when a repeat sits in the middle of a batch, then the events around it are stored and numbered without a hole', async () => {
    const db = new MemoryEvents();
    const writer = new EventWriter(db.port(), { timeoutMs: 5000, classify });
    await writer.write(doc('first', 'k0'));
    let openGate!: () => void;
    const gate = new Promise<void>((r) => (openGate = r));
    db.scripted.push(async (docs) => {
      await gate;
      return db.insertNow(docs);
    });
    const held = writer.write(doc('held'));
    const batch = [writer.write(doc('a')), writer.write(doc('repeat', 'k0')), writer.write(doc('c'))];
    openGate();
    await held;

    const [a, repeat, c] = await Promise.all(batch);
    expect(repeat!.replayed).toBe(true);
    expect(repeat!.doc.event_id).toBe(1);
    expect([a!.doc.event_id, c!.doc.event_id]).toEqual([3, 4]);
    expect(db.contiguous()).toBe(true);
  });

  test('when the idempotency key is taken by an event not yet acknowledged by a majority, then the repeat gets idempotency_in_progress (409)', async () => {
    const db = new MemoryEvents();
    db.namesIndex = true;
    const writer = new EventWriter(db.port(), { timeoutMs: 5000, classify });
    const first = await writer.write(doc('first', 'pending-key'));
    db.unacknowledged.add(first.doc.event_id);

    expect((await rejection(writer.write(doc('repeat', 'pending-key')))).code).toBe('idempotency_in_progress');
    expect(db.stored.size).toBe(1);
  });
});
