import { Metrics } from '../../src/metrics';
import { cutShortApps, NO_RECOVERY } from '../helpers/cutShort';
import { eventually } from '../helpers/eventually';
import { aNotification, anAppointment } from '../helpers/messageBuilders';
import { dbNameFor } from '../helpers/testApp';
import { sleep } from '../helpers/time';

const { faults, anApp, records, retire, cleanUp, deliver, three, storedOf, outcomes } = cutShortApps(dbNameFor(__filename));
afterEach(cleanUp);

describe('completing notifications cut short: retries, waits, decisions and stops', () => {
  test('when completing fails, then the record is tried again later and completed, each failure counted', async () => {
    const cut = await anApp(NO_RECOVERY);
    faults.failNext.add('retry-b');
    expect((await deliver(cut, three('retry'))).status).toBe(503);
    await retire(cut);

    // The first attempt fails as the request did; the next completes it.
    faults.failNext.add('retry-b');
    const metrics = new Metrics();
    const next = await anApp({ everyMs: 100, afterMs: 0 }, metrics);
    await eventually(async () => expect(await records(next)).toHaveLength(0), 15_000);
    expect(await outcomes(metrics)).toEqual({ completed: 1, refused: 0, failed: 1 });
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

  test('when a move is cut short and a newer version is booked before it is completed, then it is still stored as a move', async () => {
    const cut = await anApp(NO_RECOVERY);
    const version = (v: number, start: string) => anAppointment({ id: 'moved', version: String(v), start, lastUpdated: `2025-01-0${v}T09:00:00Z` });
    expect((await deliver(cut, version(1, '2025-01-10T12:30:00Z'))).status).toBe(201);
    faults.failNext.add('moved');
    expect((await deliver(cut, aNotification([version(2, '2025-01-11T12:30:00Z'), anAppointment({ id: 'moved-other' })]))).status).toBe(503);
    // The decision is kept in the record once the cut-short request has made it.
    await eventually(async () => expect((await records(cut))[0]?.entries[0]).toMatchObject({ eventType: 'appointment.rescheduled' }), 10_000);
    expect((await deliver(cut, version(3, '2025-01-12T12:30:00Z'))).status).toBe(201);
    await retire(cut);

    const next = await anApp({ everyMs: 100, afterMs: 0 });
    await eventually(async () => expect(await records(next)).toHaveLength(0), 15_000);
    const types = (await next.events.find({ appointment_id: 'moved' }).sort({ timestamp: 1 }).toArray()).map((e) => `${e.control_id} ${e.event_type}`);
    expect(types).toEqual(['Appointment/moved/_history/1 appointment.scheduled', 'Appointment/moved/_history/2 appointment.rescheduled', 'Appointment/moved/_history/3 appointment.rescheduled']);
  });

  test('when the service stops while a completion hangs, then it stops all the same, and the record stays for the next sweep', async () => {
    const cut = await anApp(NO_RECOVERY);
    faults.failNext.add('hung-b');
    expect((await deliver(cut, three('hung'))).status).toBe(503);
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
