import { EventWriter } from '../../src/store/eventWriter';
import { sleep } from '../helpers/time';
import { classify, doc, MemoryEvents } from './support/memoryEvents';

describe('EventWriter and its blocks', () => {
  test('when a repeat is refused without the index named and its number was taken by another writer too, then that number is not told unused', async () => {
    const db = new MemoryEvents();
    const writer = new EventWriter(db.port(), { timeoutMs: 5000, classify });
    await writer.write(doc('first', 'k0'));
    db.insertNow([{ event_id: 11, ...doc('older-build') }]);
    expect(await writer.write(doc('repeat', 'k0'))).toMatchObject({ replayed: true });
    await sleep(1); // told once the batch's writes are answered
    expect([db.skipped.includes(11), db.skipped.includes(12)]).toEqual([false, true]);
  });

  test('when a repeat is refused with the idempotency index named, then its number is told unused with the rest of the block', async () => {
    const db = new MemoryEvents();
    db.namesIndex = true;
    const writer = new EventWriter(db.port(), { timeoutMs: 5000, classify });
    await writer.write(doc('first', 'k0'));
    expect(await writer.write(doc('repeat', 'k0'))).toMatchObject({ replayed: true });
    await sleep(1); // told once the batch's writes are answered
    expect(db.skipped.slice(-10)).toEqual([11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
  });

  test('when a number is refused without the index named and the key cannot be looked up, then that number is not told unused', async () => {
    const db = new MemoryEvents();
    const port = db.port();
    const writer = new EventWriter({ ...port, findByIdempotencyKey: () => Promise.reject(new Error('no answer')) }, { timeoutMs: 5000, classify });
    await writer.write(doc('first'));
    db.insertNow([{ event_id: 11, ...doc('older-build') }]);
    await expect(writer.write(doc('second'))).rejects.toMatchObject({ code: 'database_unavailable' });
    await sleep(1); // told once the batch's writes are answered
    expect([db.skipped.includes(11), db.skipped.includes(12)]).toEqual([false, true]);
  });
});
