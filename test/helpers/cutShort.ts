import { MongoClient } from 'mongodb';
import { AppError } from '../../src/errors';
import { EVENTS_COLLECTION } from '../../src/store/eventStore';
import { Metrics } from '../../src/metrics';
import { PENDING_NOTIFICATIONS_COLLECTION, pendingDatabaseName } from '../../src/store/pendingNotifications';
import { eventually } from './eventually';
import { post, type Reply } from './http';
import { aNotification, anAppointment } from './messageBuilders';
import { startTestApp, testDatabaseUri, type TestApp } from './testApp';

/** Never within a test: an instance started with it leaves records alone. */
export const NO_RECOVERY = { everyMs: 600_000, afterMs: 600_000 };

/** Faults the apps of a CutShort put between the service and the real database. */
export interface Faults {
  /** Appointment ids whose next write fails before it is stored, as when the database goes away mid-notification. */
  failNext: Set<string>;
  /** Appointment ids whose next write never answers, as when the database hangs. */
  hangNext: Set<string>;
  /** Whether recording a notification fails (the database is gone before anything is written). */
  recordFails: boolean;
}

/**
 * Instances of the real app on one database, whose writes can be cut short on purpose, for tests
 * of FHIR notifications cut short and completed. `cleanUp` (after each test) clears the faults,
 * the events and the records, and stops every instance still running.
 */
export function cutShortApps(dbName: string) {
  const faults: Faults = { failNext: new Set(), hangNext: new Set(), recordFails: false };
  const apps: TestApp[] = [];
  const records = (app: TestApp) => app.db.client.db(pendingDatabaseName(app.db.databaseName)).collection(PENDING_NOTIFICATIONS_COLLECTION).find({}).toArray();

  async function anApp(notificationRecovery: { everyMs: number; afterMs: number }, metrics?: Metrics): Promise<TestApp> {
    const app = await startTestApp({
      dbName,
      metrics,
      notificationRecovery,
      wrapStore: (store) => ({
        ...store,
        async saveEvent(event, ...rest) {
          if (faults.failNext.delete(event.appointment_id)) throw new AppError('database_unavailable');
          if (faults.hangNext.delete(event.appointment_id)) return new Promise<never>(() => undefined);
          return store.saveEvent(event, ...rest);
        },
      }),
      wrapPending: (pending) => ({
        ...pending,
        async record(notification, timeoutMs) {
          if (faults.recordFails) throw new AppError('database_unavailable');
          return pending.record(notification, timeoutMs);
        },
      }),
    });
    apps.push(app);
    return app;
  }

  /** webhook_notifications_completed_total by outcome. */
  const outcomes = async (metrics: Metrics) => Object.fromEntries((await metrics.notificationsCompleted.get()).values.map((v) => [v.labels.outcome, v.value]));

  /** Starts an instance that takes records up at once, and waits until none is left and its outcomes are `expected`. */
  async function sweptBy(expected: { completed: number; refused: number; failed: number }): Promise<TestApp> {
    const metrics = new Metrics();
    const next = await anApp({ everyMs: 100, afterMs: 0 }, metrics);
    await eventually(async () => {
      expect(await records(next)).toHaveLength(0);
      expect(await outcomes(metrics)).toEqual(expected);
    }, 15_000);
    return next;
  }

  const deliver = (app: TestApp, body: unknown): Promise<Reply> => post(`${app.url}/webhook/appointment/fhir`, body, { 'Content-Type': 'application/fhir+json', ...app.auth });
  /** A notification of three Appointments, `<prefix>-a` to `<prefix>-c`. */
  const three = (prefix: string) => aNotification(['a', 'b', 'c'].map((x) => anAppointment({ id: `${prefix}-${x}` })));

  /** An instance that takes no record up, on which three(prefix) was cut short at `<prefix>-b`: 503, its record left. */
  async function cutAt(prefix: string): Promise<TestApp> {
    const app = await anApp(NO_RECOVERY);
    faults.failNext.add(`${prefix}-b`);
    expect((await deliver(app, three(prefix))).status).toBe(503);
    return app;
  }

  return {
    faults,
    anApp,
    cutAt,
    records,
    /** Stops an instance, as a crash or a deploy would, before the test goes on. */
    retire: async (app: TestApp): Promise<void> => {
      const at = apps.indexOf(app);
      if (at >= 0) apps.splice(at, 1);
      await app.stop();
    },
    cleanUp: async (): Promise<void> => {
      faults.failNext.clear();
      faults.hangNext.clear();
      faults.recordFails = false;
      // Stopped first, so that no sweep writes after the collections are cleared.
      await Promise.all(apps.splice(0).map((app) => app.stop()));
      const client = await MongoClient.connect(testDatabaseUri());
      try {
        const db = client.db(dbName);
        await Promise.all([db.collection(EVENTS_COLLECTION).deleteMany({}), client.db(pendingDatabaseName(dbName)).collection(PENDING_NOTIFICATIONS_COLLECTION).deleteMany({})]);
      } finally {
        await client.close();
      }
    },
    deliver,
    three,
    /** The appointment ids stored for this prefix, once per stored event. */
    storedOf: async (app: TestApp, prefix: string): Promise<string[]> => {
      const docs = await app.events.find({ appointment_id: { $regex: `^${prefix}-` } }).toArray();
      return docs.map((d) => d.appointment_id as string).sort();
    },
    outcomes,
    sweptBy,
  };
}
