/** HL7 v2 and FHIR payloads for HTTP tests: each built one names its own appointment. */
let built = 0;
const next = () => `${process.pid}-${++built}`;

export interface SiuOptions {
  trigger?: string;
  controlId?: string;
  appointmentId?: string;
  patientId?: string;
  /** EVN-6, the event time (HL7 DTM). */
  when?: string;
  note?: string;
  fillerStatus?: string;
  separator?: string;
}

/** An SIU message as a scheduling system sends it (HL7 v2.5.1, CR between segments). */
export function anSiuMessage(options: SiuOptions = {}): { text: string; controlId: string; appointmentId: string; patientId: string } {
  const id = next();
  const controlId = options.controlId ?? `CTRL-${id}`;
  const appointmentId = options.appointmentId ?? `APT-${id}`;
  const patientId = options.patientId ?? `MRN-${id}`;
  const trigger = options.trigger ?? 'S12';
  const segments = [
    `MSH|^~\\&|CLINICSCHED|NORTHSIDE|APPTWH|RECEIVER|20250106090000+0000||SIU^${trigger}^SIU_S12|${controlId}|P|2.5.1`,
    `EVN||20250106090000+0000||||${options.when ?? '20250106085500-0500'}`,
    `SCH|PL-${id}^CLINICSCHED|${appointmentId}^CLINICSCHED|||||ROUTINE^Routine visit^HL70276||30|MIN|^^30^20250110123000+0000||||||||||||||${options.fillerStatus ?? 'Booked'}`,
    ...(options.note !== undefined ? [`NTE|1||${options.note}`] : []),
    `PID|1||${patientId}^^^NORTHSIDE^MR~123-45-6789^^^USSSA^SS||Rivera^Ana||19840312|F`,
    'PV1|1|O|CLINIC2^^^NORTHSIDE',
    'RGS|1|A',
    'AIL|1|A|CLINIC2^^^NORTHSIDE',
  ];
  return { text: segments.join(options.separator ?? '\r') + (options.separator ?? '\r'), controlId, appointmentId, patientId };
}

export interface AppointmentOptions {
  id?: string;
  version?: string;
  status?: string;
  start?: string;
  patient?: string;
  lastUpdated?: string;
  comment?: string;
  identifier?: { system: string; value: string };
}

/** A FHIR R4 Appointment as an EHR serves it. */
export function anAppointment(options: AppointmentOptions = {}): Record<string, unknown> {
  return {
    resourceType: 'Appointment',
    id: options.id ?? `apt-${next()}`,
    meta: { versionId: options.version ?? '1', lastUpdated: options.lastUpdated ?? '2025-01-06T09:00:00Z' },
    ...(options.identifier ? { identifier: [{ system: 'urn:other', value: 'X-1' }, options.identifier] } : {}),
    status: options.status ?? 'booked',
    serviceType: [{ coding: [{ system: 'http://snomed.info/sct', code: '394814009', display: 'General practice' }] }],
    start: options.start ?? '2025-01-10T12:30:00Z',
    end: '2025-01-10T13:00:00Z',
    ...(options.comment !== undefined ? { comment: options.comment } : {}),
    participant: [
      { actor: { reference: 'Practitioner/4411', display: 'Dr Kwame Osei' }, status: 'accepted' },
      { actor: { reference: `Patient/${options.patient ?? 'P8765'}`, display: 'Ana Rivera' }, status: 'accepted' },
    ],
  };
}

/** A subscription notification (R4 Backport, full-resource content) carrying these resources. */
export function aNotification(resources: Record<string, unknown>[], type = 'event-notification'): Record<string, unknown> {
  return {
    resourceType: 'Bundle',
    id: `notification-${next()}`,
    type: 'history',
    timestamp: '2025-01-09T08:15:02Z',
    entry: [
      {
        fullUrl: `urn:uuid:00000000-0000-4000-8000-${String(built).padStart(12, '0')}`,
        resource: {
          resourceType: 'Parameters',
          parameter: [
            { name: 'subscription', valueReference: { reference: 'Subscription/appointments' } },
            { name: 'status', valueCode: 'active' },
            { name: 'type', valueCode: type },
          ],
        },
      },
      ...resources.map((resource) => ({ fullUrl: `https://ehr.example/fhir/Appointment/${String(resource.id)}`, resource })),
    ],
  };
}
