// Accepted events per second by input format (JSON, HL7 v2 SIU, FHIR R4 Appointment) on one
// service, at one concurrency, in rotating rounds so all see the same noise. Each request is a
// new event of a new appointment, booked. FHIR is measured twice: as version 1 of the resource
// (its start is recorded in the background) and as version 2 of an appointment booked for the
// first time (its start is claimed before the event is written, to tell a booking from a move:
// the costliest case). And as a subscription notification of three such Appointments, which
// claims its versions and writes its events behind a write-ahead record (one insert and one
// delete more); its rate counts events, three per request. Also checks every accepted event is
// stored.
import { median } from './stats.mjs';


let sequence = 0;
/** Appointments in each benchmark notification. */
const NOTIFIED = 3;
const hl7Time = (date) => `${date.toISOString().replace(/[-:T]/g, '').slice(0, 14)}+0000`;

/** The bodies of new events, with the media type each is sent as and the events each carries (default 1). */
export const FORMATS = {
  json: {
    contentType: 'application/json',
    path: '/webhook/appointment',
    body: () => {
      sequence += 1;
      return JSON.stringify({ event_type: 'appointment.scheduled', appointment_id: `J${process.pid}-${sequence}`, patient_id: `P${sequence % 10000}`, timestamp: new Date().toISOString(), notes: 'Benchmark event, annual physical' });
    },
  },
  hl7v2: {
    contentType: 'application/hl7-v2',
    path: '/webhook/appointment/hl7v2',
    body: () => {
      sequence += 1;
      const now = hl7Time(new Date());
      return [
        `MSH|^~\\&|CLINICSCHED|NORTHSIDE|APPTWH|RECEIVER|${now}||SIU^S12^SIU_S12|BENCH-${process.pid}-${sequence}|P|2.5.1`,
        `EVN||${now}`,
        `SCH|PL-${sequence}^CLINICSCHED|H${process.pid}-${sequence}^CLINICSCHED|||||ROUTINE^Routine visit^HL70276||30|MIN|^^30^20250110123000+0000||||||||||||||Booked`,
        'NTE|1||Benchmark event, annual physical',
        `PID|1||P${sequence % 10000}^^^NORTHSIDE^MR~900-11-2222^^^USSSA^SS||Rivera^Ana^M||19840312|F`,
        'PV1|1|O|CLINIC2^^^NORTHSIDE',
        'RGS|1|A',
        'AIL|1|A|CLINIC2^^^NORTHSIDE',
        'AIP|1|A|4411^Osei^Kwame^^^Dr|ATTENDING',
        '',
      ].join('\r');
    },
  },
  fhir: { contentType: 'application/fhir+json', path: '/webhook/appointment/fhir', body: () => fhirBooked('1') },
  fhirV2: { contentType: 'application/fhir+json', path: '/webhook/appointment/fhir', body: () => fhirBooked('2') },
  notification: { contentType: 'application/fhir+json', path: '/webhook/appointment/fhir', body: () => fhirNotification(), events: NOTIFIED },
};

/** A subscription notification (R4 Backport) carrying NOTIFIED booked Appointments of new appointments. */
function fhirNotification() {
  const status = { resourceType: 'Parameters', parameter: [{ name: 'subscription', valueReference: { reference: 'Subscription/bench' } }, { name: 'type', valueCode: 'event-notification' }] };
  const appointments = Array.from({ length: NOTIFIED }, () => JSON.parse(fhirBooked('1')));
  const entry = [{ fullUrl: `urn:uuid:${crypto.randomUUID()}`, resource: status }, ...appointments.map((resource) => ({ fullUrl: `https://ehr.example/fhir/Appointment/${resource.id}`, resource }))];
  return JSON.stringify({ resourceType: 'Bundle', type: 'history', timestamp: new Date().toISOString(), entry });
}

/** A booked Appointment of a new appointment, as version `versionId` of its resource. */
function fhirBooked(versionId) {
  sequence += 1;
  return JSON.stringify({
    resourceType: 'Appointment',
    id: `F${process.pid}-${sequence}`,
    meta: { versionId, lastUpdated: new Date().toISOString() },
    status: 'booked',
    serviceType: [{ coding: [{ system: 'http://snomed.info/sct', code: '394814009', display: 'General practice' }] }],
    start: '2025-01-10T12:30:00Z',
    end: '2025-01-10T13:00:00Z',
    comment: 'Benchmark event, annual physical',
    participant: [
      { actor: { reference: `Patient/P${sequence % 10000}`, display: 'Ana Rivera' }, status: 'accepted' },
      { actor: { reference: 'Practitioner/4411', display: 'Dr Kwame Osei' }, status: 'accepted' },
    ],
  });
}

export async function formatsCompared({ service, stopProcess, load, MongoClient, dbUri, log, concurrency, seconds, rounds }) {
  const svc = await service('bench_formats', {}, 'bench-formats');
  const origin = new URL(svc.url).origin;
  const runs = Object.fromEntries(Object.keys(FORMATS).map((name) => [name, []]));
  const names = Object.keys(FORMATS);
  try {
    for (let round = 1; round <= rounds; round++) {
      // Rotate which format goes first, so none always runs on a warmer machine.
      const order = names.map((_, i) => names[(i + round - 1) % names.length]);
      for (const name of order) {
        const format = FORMATS[name];
        log(`bench: ${name}, round ${round} of ${rounds}...`);
        const run = await load(`${origin}${format.path}`, concurrency, { ...svc.auth, 'Content-Type': format.contentType }, format.body, seconds);
        // Events, not requests: a notification carries several.
        const events = format.events ?? 1;
        runs[name].push({ ...run, perSecond: run.perSecond * events, acceptedEvents: run.ok * events });
      }
    }
  } finally {
    await stopProcess(svc.child);
  }
  const client = await MongoClient.connect(dbUri);
  let stored;
  try {
    const events = client.db('bench_formats').collection('appointment_events');
    stored = { json: await events.countDocuments({ format: { $exists: false } }), hl7v2: await events.countDocuments({ format: 'hl7v2' }), fhir: await events.countDocuments({ format: 'fhir' }) };
  } finally {
    await client.close();
  }
  const perSecond = Object.fromEntries(names.map((name) => [name, median(runs[name].map((r) => r.perSecond))]));
  const paired = (name) => +median(runs[name].map((r, i) => r.perSecond / runs.json[i].perSecond)).toFixed(3);
  return {
    concurrency,
    seconds,
    rounds,
    perSecond,
    ratioToJson: Object.fromEntries(names.filter((n) => n !== 'json').map((n) => [n, +(perSecond[n] / perSecond.json).toFixed(3)])),
    pairedRatioToJson: Object.fromEntries(names.filter((n) => n !== 'json').map((n) => [n, paired(n)])),
    eventsPerNotification: NOTIFIED,
    accepted: Object.fromEntries(names.map((name) => [name, runs[name].reduce((n, r) => n + r.acceptedEvents, 0)])),
    refused: Object.fromEntries(names.map((name) => [name, runs[name].reduce((n, r) => n + r.other + r.errors, 0)])),
    stored,
    runs,
  };
}
