import { EventWriter } from '../../src/store/eventWriter';
import { sleep } from '../helpers/time';
import { classify, doc, MemoryEvents, rejection } from './support/memoryEvents';

describe('EventWriter', () => {
  test('when many events arrive at once, then they are numbered in order in few batched inserts, and unused numbers of their blocks are told', async () => {
    const db = new MemoryEvents();
    db.delayMs = 2;
    db.blockSize = 64;
    const writer = new EventWriter(db.port(), { timeoutMs: 5000, classify });

    const written = (await Promise.all(Array.from({ length: 100 }, (_, i) => writer.write(doc(`e${i}`))))).map((r) => r.doc);

    const ids = written.map((d) => d.event_id);
    expect([new Set(ids).size, ids]).toEqual([100, [...ids].sort((a, b) => a - b)]);
    for (const [i, d] of written.entries()) expect(d.appointment_id).toBe(`e${i}`);
    expect(db.inserts).toBeLessThan(10);
    // A batch larger than its block goes on in the next, not in a block of its own.
    expect(db.leased).toBeLessThanOrEqual(3 * 64);
    await sleep(1); // told once the batch's writes are answered
    expect(db.accountedFor()).toBe(true);
  });

  test('when three writers share one database, then ids are unique, every leased number is stored or told unused, and a write after an acknowledgement gets a larger id', async () => {
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
    await sleep(1); // the last batches tell their unused numbers once their writes are answered
    expect(db.accountedFor()).toBe(true);
    expect(violations).toBe(0);
  });

  test('when another instance leased the next ids, then the next batch is numbered above them', async () => {
    const db = new MemoryEvents();
    const writer = new EventWriter(db.port(), { timeoutMs: 5000, classify });
    expect((await writer.write(doc('a'))).doc.event_id).toBe(1);
    const { first } = db.leaseNow();
    db.insertNow([0, 1, 2].map((i) => ({ event_id: first + i, ...doc('other') })));

    expect((await writer.write(doc('b'))).doc.event_id).toBe(21);
    expect(db.skipped.slice(0, 9)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  test('when the database says a duplicate was on event_id (a writer outside the leases), then the writer does not look the key up and numbers the event again from a new lease', async () => {
    const db = new MemoryEvents();
    db.namesIndex = true;
    let lookups = 0;
    const port = db.port();
    const conflicts: boolean[] = [];
    const writer = new EventWriter({ ...port, findByIdempotencyKey: (key) => (lookups++, port.findByIdempotencyKey(key)) }, { timeoutMs: 5000, classify, onConflict: (retried) => conflicts.push(retried) });
    db.insertNow([{ event_id: 1, ...doc('older-build') }]);
    expect((await writer.write(doc('mine'))).doc.event_id).toBe(11);
    expect(lookups).toBe(0);
    expect(conflicts).toEqual([true]);
    // The rest of the block the older build wrote into may be its too: not told unused.
    expect(db.skipped.filter((id) => id <= 10)).toEqual([]);
  });

  test('when the database refuses one document, then only that event fails (500) and the others are numbered on from its number', async () => {
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
      [11, 'a'],
      [12, 'c'],
    ]);
  });

  test('when an insert fails with an unknown outcome, then its events get the classified error and the next write takes a new lease', async () => {
    const db = new MemoryEvents();
    const writer = new EventWriter(db.port(), { timeoutMs: 5000, classify });
    db.scripted.push(async (docs) => {
      db.insertNow(docs); // stored after all, but the reply was lost
      throw new Error('socket closed');
    });

    const err = await rejection(writer.write(doc('lost-reply')));
    expect(err.code).toBe('database_unavailable');

    // The number sent is not told unused (it may be stored); the rest of its block is.
    expect(db.skipped).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect((await writer.write(doc('next'))).doc.event_id).toBe(11);
  });

  test('when an event keeps finding its event_id taken (writers outside the leases), then it fails with database_unavailable instead of looping', async () => {
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
    db.namesIndex = true;
    const writer = new EventWriter(db.port(), { timeoutMs: 5000, classify });
    const original = await writer.write(doc('first', 'same-key'));

    const repeat = await writer.write(doc('second', 'same-key'));

    expect(original.replayed).toBe(false);
    expect(repeat).toEqual({ doc: original.doc, replayed: true });
    expect(db.stored.size).toBe(1);
    // The repeat's number stays unused, never handed out again, and is told unused.
    expect((await writer.write(doc('third'))).doc.event_id).toBe(21);
    await sleep(1); // the batch tells its unused numbers once its writes are answered
    expect(db.accountedFor()).toBe(true);
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
    expect([a!.doc.event_id, c!.doc.event_id]).toEqual([12, 13]);
    await sleep(1); // the batch tells its unused numbers once its writes are answered
    expect(db.accountedFor()).toBe(true);
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

  test('when an event runs out of time while its batch waits for a lease, then it is answered 503 and never stored', async () => {
    const db = new MemoryEvents();
    const port = db.port();
    let leaseGiven: () => void = () => undefined;
    const slowLease: typeof port.lease = async () => {
      await new Promise<void>((resolve) => (leaseGiven = resolve));
      return port.lease();
    };
    const writer = new EventWriter({ ...port, lease: slowLease }, { timeoutMs: 30, classify });

    await expect(writer.write(doc('late'))).rejects.toMatchObject({ code: 'database_unavailable' });
    leaseGiven();
    await sleep(20);

    expect(db.inserts).toBe(0);
    expect(db.stored.size).toBe(0);
  });
});
