import { EventWriter } from '../../src/store/eventWriter';
import { HINT_INTERVAL_MS } from '../../src/store/eventIdHint';
import { classify, doc, MemoryEvents } from './support/memoryEvents';
import { sleep } from '../helpers/time';

describe('the event_id hint', () => {
  test('when raising the hint hangs, then writes go on without waiting for it, and the hint catches up once it answers', async () => {
    const db = new MemoryEvents();
    db.blockSize = 1; // one number per write: the hint is the count of writes
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
    await sleep(150);
    expect(db.hint).toBe(4);
    expect(raises).toBe(2);
  });

  test('when raising the hint fails, then it is raised again after the next batch', async () => {
    const db = new MemoryEvents();
    db.blockSize = 1; // one number per write: the hint is the count of writes
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
    await sleep(5);
    expect(db.hint).toBe(0);
    fail = false;
    await writer.write(doc('b'));
    await sleep(150);
    expect(db.hint).toBe(2);
  });

  test('when many batches are stored in a moment, then the hint is raised a few times, not once per batch, and a flush makes it exact', async () => {
    const db = new MemoryEvents();
    db.blockSize = 1; // one number per write: the hint is the count of writes
    const port = db.port();
    let raises = 0;
    const writer = new EventWriter({ ...port, recordHighest: (highest) => (raises++, port.recordHighest(highest)) }, { timeoutMs: 1000, classify });
    const started = performance.now();
    for (let i = 0; i < 50; i++) await writer.write(doc(`quick-${i}`));
    // At most one raise starts per interval, however slow the machine is today (once per batch
    // would be 50; on a quiet machine this is 1 or 2).
    expect(raises).toBeLessThanOrEqual(Math.floor((performance.now() - started) / HINT_INTERVAL_MS) + 1);
    await writer.flushHint();
    expect(db.hint).toBe(50);
  });
});
