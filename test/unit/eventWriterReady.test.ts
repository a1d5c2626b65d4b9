import { AppError } from '../../src/errors';
import type { UnnumberedEvent } from '../../src/store/eventDocument';
import { EventWriter } from '../../src/store/eventWriter';
import { classify, doc, MemoryEvents } from './support/memoryEvents';

describe('EventWriter, documents still being decided', () => {
  test('when a document waits for its event type, then it is written with the type decided, and the others of its batch with theirs', async () => {
    const db = new MemoryEvents();
    const decided = new Map<UnnumberedEvent, Promise<void>>();
    const writer = new EventWriter(db.port(), { timeoutMs: 5000, classify, ready: (d) => decided.get(d) });
    const moved = doc('moved');
    let decide: () => void = () => undefined;
    decided.set(moved, new Promise<void>((resolve) => (decide = resolve)).then(() => void (moved.event_type = 'appointment.rescheduled')));
    const writes = [writer.write(doc('plain')), writer.write(moved)];
    setTimeout(decide, 10);
    const [plain, written] = await Promise.all(writes);
    expect(plain!.doc.event_type).toBe('appointment.scheduled');
    expect(written!.doc.event_type).toBe('appointment.rescheduled');
    expect([...db.stored.values()].find((d) => d.appointment_id === 'moved')?.event_type).toBe('appointment.rescheduled');
  });

  test('when a decision fails, then that write alone fails, in the vocabulary, and nothing of it is stored', async () => {
    const db = new MemoryEvents();
    const failing = doc('failing');
    const writer = new EventWriter(db.port(), { timeoutMs: 5000, classify, ready: (d) => (d === failing ? Promise.reject(new AppError('database_unavailable')) : undefined) });
    const [ok, refused] = await Promise.allSettled([writer.write(doc('fine')), writer.write(failing)]);
    expect(ok.status).toBe('fulfilled');
    expect(refused.status === 'rejected' && (refused.reason as AppError).code).toBe('database_unavailable');
    expect([...db.stored.values()].map((d) => d.appointment_id)).toEqual(['fine']);
  });
});

describe('EventWriter, the block of a batch still being decided', () => {
  test('when a document waits for its decision, then the block is taken meanwhile, and the batch is numbered from it once decided', async () => {
    const db = new MemoryEvents();
    let decide: () => void = () => undefined;
    const decision = new Promise<void>((resolve) => (decide = resolve));
    const waiting = doc('waiting');
    const writer = new EventWriter(db.port(), { timeoutMs: 5000, classify, ready: (d) => (d === waiting ? decision : undefined) });
    const written = writer.write(waiting);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect([db.leased, db.stored.size]).toEqual([10, 0]);
    decide();
    expect((await written).doc.event_id).toBe(1);
    expect(db.leased).toBe(10);
  });

  test('when every decision of a batch fails, then the block taken meanwhile is told unused', async () => {
    const db = new MemoryEvents();
    const writer = new EventWriter(db.port(), { timeoutMs: 5000, classify, ready: () => Promise.reject(new AppError('database_unavailable')) });
    await expect(writer.write(doc('refused'))).rejects.toMatchObject({ code: 'database_unavailable' });
    await new Promise((resolve) => setTimeout(resolve, 1));
    expect([db.stored.size, db.accountedFor()]).toEqual([0, true]);
  });
});

describe('EventWriter, a decision that never comes', () => {
  test('when a document is not decided within the bound, then it fails with 503 and the events behind it are written all the same', async () => {
    const db = new MemoryEvents();
    const stuck = doc('stuck');
    // Writes may wait a minute: without the bound, this test would outlast jest's own timeout.
    const writer = new EventWriter(db.port(), { timeoutMs: 60_000, classify, ready: (d) => (d === stuck ? new Promise<void>(() => undefined) : undefined) });
    const [refused, after] = await Promise.allSettled([writer.write(stuck), writer.write(doc('behind'))]);
    expect(refused.status === 'rejected' && (refused.reason as AppError).code).toBe('database_unavailable');
    expect(after.status).toBe('fulfilled');
    expect([...db.stored.values()].map((d) => d.appointment_id)).toEqual(['behind']);
  });
});
