import { Metrics } from '../../src/metrics';
import { cutShortApps, NO_RECOVERY } from '../helpers/cutShort';
import { eventually } from '../helpers/eventually';
import { aNotification, anAppointment } from '../helpers/messageBuilders';
import { dbNameFor, type TestApp } from '../helpers/testApp';
import { sleep } from '../helpers/time';

const { faults, anApp, cutAt, records, retire, cleanUp, deliver, three, storedOf, outcomes, sweptBy } = cutShortApps(dbNameFor(__filename));
afterEach(cleanUp);

describe('completing notifications cut short: retries, waits, decisions and stops', () => {
  test('when completing fails, then the record is tried again later and completed, each failure counted', async () => {
    const cut = await cutAt('retry');
    await retire(cut);

    // The first attempt fails as the request did; the next completes it.
    faults.failNext.add('retry-b');
    const next = await sweptBy({ completed: 1, refused: 0, failed: 1 });
    expect(await storedOf(next, 'retry')).toEqual(['retry-a', 'retry-b', 'retry-c']);
    const warning = JSON.parse(next.logs.find((l) => l.includes('could not be completed yet'))!) as Record<string, unknown>;
    expect(warning).toMatchObject({ level: 40, partner: cut.partner, attempt: 1 });
  });

  test('when a record is younger than the wait for its request, then it is left alone', async () => {
    const metrics = new Metrics();
    const app = await anApp({ everyMs: 50, afterMs: 600_000 }, metrics);
    faults.failNext.add('young-b');
    expect((await deliver(app, three('young'))).status).toBe(503);
    // Many sweeps pass, each finding nothing due.
    await sleep(1000);
    expect(await records(app)).toHaveLength(1);
    expect(await storedOf(app, 'young')).toEqual(['young-a', 'young-c']);
    expect(await outcomes(metrics)).toEqual({ completed: 0, refused: 0, failed: 0 });
  });

  // Each test its own appointment: the starts compared are kept apart from the events, and stay.
  const version = (id: string, v: number, start: string) => anAppointment({ id, version: String(v), start, lastUpdated: `2025-01-0${v}T09:00:00Z` });
  const typesOf = async (app: TestApp, id: string) => (await app.events.find({ appointment_id: id }).sort({ timestamp: 1 }).toArray()).map((e) => `${e.control_id} ${e.event_type}`);
  const moves = (id: string) => [`Appointment/${id}/_history/1 appointment.scheduled`, `Appointment/${id}/_history/2 appointment.rescheduled`, `Appointment/${id}/_history/3 appointment.rescheduled`];

  /** Version 1 booked; a notification moving it to version 2 cut short; version 3 booked after. */
  async function moveCutShortThenBookedAgain(cut: TestApp, id: string): Promise<Record<string, unknown>> {
    expect((await deliver(cut, version(id, 1, '2025-01-10T12:30:00Z'))).status).toBe(201);
    faults.failNext.add(id);
    const notification = aNotification([version(id, 2, '2025-01-11T12:30:00Z'), anAppointment({ id: `${id}-other` })]);
    expect((await deliver(cut, notification)).status).toBe(503);
    // The decision is kept in the record once the cut-short request has made it.
    await eventually(async () => expect((await records(cut))[0]?.entries[0]).toMatchObject({ eventType: 'appointment.rescheduled' }), 10_000);
    expect((await deliver(cut, version(id, 3, '2025-01-12T12:30:00Z'))).status).toBe(201);
    return notification;
  }

  test('when a move is cut short and a newer version is booked before it is completed, then it is still stored as a move', async () => {
    const cut = await anApp(NO_RECOVERY);
    await moveCutShortThenBookedAgain(cut, 'moved');
    await retire(cut);

    const next = await anApp({ everyMs: 100, afterMs: 0 });
    await eventually(async () => expect(await records(next)).toHaveLength(0), 15_000);
    expect(await typesOf(next, 'moved')).toEqual(moves('moved'));
  });

  test('when such a move is resent rather than completed, then the resend too stores it as a move', async () => {
    const app = await anApp(NO_RECOVERY);
    const notification = await moveCutShortThenBookedAgain(app, 'resent');
    expect((await deliver(app, notification)).status).toBe(201);
    expect(await typesOf(app, 'resent')).toEqual(moves('resent'));
    // Deleted once every event is stored, after the reply.
    await eventually(async () => expect(await records(app)).toHaveLength(0), 5_000);
  });

  test('when the service stops while a completion hangs, then it stops all the same, and the record stays for the next sweep', async () => {
    const cut = await cutAt('hung');
    await retire(cut);

    faults.hangNext.add('hung-b');
    const metrics = new Metrics();
    const next = await anApp({ everyMs: 50, afterMs: 0 }, metrics);
    // hung-b's write has been taken up and does not answer.
    await eventually(async () => expect(faults.hangNext.has('hung-b')).toBe(false), 10_000);
    await retire(next);
    expect(await outcomes(metrics)).toEqual({ completed: 0, refused: 0, failed: 0 });

    const last = await anApp({ everyMs: 100, afterMs: 0 });
    await eventually(async () => expect(await records(last)).toHaveLength(0), 15_000);
    expect(await storedOf(last, 'hung')).toEqual(['hung-a', 'hung-b', 'hung-c']);
  });
});
