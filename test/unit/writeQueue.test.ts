import type { AppError } from '../../src/errors';
import { EventWriter } from '../../src/store/eventWriter';
import { classify, doc, MemoryEvents, rejection } from './support/memoryEvents';
import { sleep } from '../helpers/time';

describe('the write queue', () => {
  test('when the database does not answer in time, then the write fails with database_unavailable and a queued event is never written later', async () => {
    const db = new MemoryEvents();
    const writer = new EventWriter(db.port(), { timeoutMs: 50, classify });
    let release!: () => void;
    db.scripted.push((docs) => new Promise((resolve) => (release = () => resolve(db.insertNow(docs)))));

    const inFlight = writer.write(doc('in-flight'));
    await sleep(5);
    const queued = writer.write(doc('queued'));
    expect((await rejection(inFlight)).code).toBe('database_unavailable');
    expect((await rejection(queued)).code).toBe('database_unavailable');

    release();
    await sleep(20);
    expect([...db.stored.values()].map((d) => d.appointment_id)).toEqual(['in-flight']);
    expect(writer.queueStats.queued).toBe(0);
  });

  test('when the queue is at its bound, then a further write fails at once with database_unavailable, and the queue never grows past the bound', async () => {
    const db = new MemoryEvents();
    const writer = new EventWriter(db.port(), { timeoutMs: 60_000, maxQueued: 3, classify });
    let release!: () => void;
    db.scripted.push((docs) => new Promise((resolve) => (release = () => resolve(db.insertNow(docs)))));

    const inFlight = writer.write(doc('in-flight'));
    await sleep(5);
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
    await sleep(5);
    // Every other queued write has a short deadline of its own.
    const writes = Array.from({ length: 1000 }, (_, i) => writer.write(doc(`q-${i}`), i % 2 === 0 ? 20 : 60_000));
    const outcomes = writes.map((w) => w.then(() => 'stored', (err: AppError) => err.code));
    await sleep(60);
    expect(writer.queueStats.queued).toBe(500);

    release();
    await inFlight;
    const results = await Promise.all(outcomes);
    expect(results.filter((r) => r === 'database_unavailable')).toHaveLength(500);
    const stored = [...db.stored.values()].sort((a, b) => a.event_id - b.event_id).map((d) => d.appointment_id);
    expect(stored).toEqual(['in-flight', ...Array.from({ length: 500 }, (_, i) => `q-${2 * i + 1}`)]);
    await sleep(1); // the batch tells its unused numbers once its writes are answered
    expect(db.accountedFor()).toBe(true);
  });

  test('when a write is given no time left, then it fails at once and nothing is queued', async () => {
    const db = new MemoryEvents();
    const writer = new EventWriter(db.port(), { timeoutMs: 5000, classify });
    expect((await rejection(writer.write(doc('late'), 0))).code).toBe('database_unavailable');
    expect(writer.queueStats.peak).toBe(0);
    expect(db.inserts).toBe(0);
  });
});
