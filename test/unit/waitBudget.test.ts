import { AppError } from '../../src/errors';
import { WaitBudget } from '../../src/store/waitBudget';
import { sleep } from '../helpers/time';

const never = () => new Promise<never>(() => undefined);
const after = <T>(ms: number, value: T) => sleep(ms).then(() => value);

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (err) {
    return err instanceof AppError ? err.code : 'other';
  }
}

describe('WaitBudget', () => {
  test('when a call answers in time, then its result comes back and its time is spent', async () => {
    let now = 0;
    const budget = new WaitBudget(100, () => now);
    const result = budget.wait(after(1, 'ok'));
    now = 30;
    expect(await result).toBe('ok');
    expect(budget.remainingMs).toBe(70);
  });

  test('when a call never answers, then database_unavailable comes once the budget is gone', async () => {
    let now = 0;
    const budget = new WaitBudget(30, () => now);
    const waiting = codeOf(budget.wait(never()));
    now = 30;
    expect(await waiting).toBe('database_unavailable');
    expect(budget.remainingMs).toBe(0);
  });

  test('when several calls share a request, then the later ones get only what the earlier ones left', async () => {
    let now = 0;
    const budget = new WaitBudget(60, () => now);
    const first = budget.wait(after(1, 'first'));
    now = 35;
    await first;
    expect(budget.remainingMs).toBe(25);
    const second = budget.wait(never());
    now = 60;
    expect(await codeOf(second)).toBe('database_unavailable');
    expect(budget.remainingMs).toBe(0);
  });

  test('when nothing is left, then a call fails at once and its eventual failure is not left unhandled', async () => {
    let now = 0;
    const budget = new WaitBudget(10, () => now);
    await budget.spend(async () => {
      now = 10;
    });
    expect(await codeOf(budget.wait(Promise.reject(new Error('late failure'))))).toBe('database_unavailable');
  });

  test('when a call fails, then its own error comes through', async () => {
    const budget = new WaitBudget(100);
    const failure = new AppError('internal');
    await expect(budget.wait(Promise.reject(failure))).rejects.toBe(failure);
  });

  test('when a read is given what is left, then the database is told that limit, and the wait ends there even if the read does not', async () => {
    let now = 0;
    const budget = new WaitBudget(50, () => now);
    const earlier = budget.wait(after(1, 'earlier'));
    now = 20;
    await earlier;
    const limits: number[] = [];
    const waiting = codeOf(budget.within((ms) => (limits.push(ms), never())));
    expect(limits).toEqual([30]);
    expect(await waiting).toBe('database_unavailable');
  });

  test('when nothing is left, then a read is not even started', async () => {
    let now = 0;
    const budget = new WaitBudget(10, () => now);
    const first = budget.wait(after(1, 'x'));
    now = 10;
    await first;
    let started = false;
    expect(await codeOf(budget.within(() => ((started = true), never())))).toBe('database_unavailable');
    expect(started).toBe(false);
  });
});
