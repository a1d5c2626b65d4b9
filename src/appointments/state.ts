/**
 * The state of one appointment, worked out from its stored events alone. No I/O and no clock, so
 * the same set of events gives the same state whatever order they arrived in or were read in.
 *
 * | Rule                  | Decided by                                                                                   |
 * |-----------------------|----------------------------------------------------------------------------------------------|
 * | history order         | each event's own `timestamp` instant, at full precision and in any offset; at one instant,   |
 * |                       | lifecycle rank scheduled < rescheduled < no_show < completed < cancelled, then event_id      |
 * | status                | last event in history: scheduled and rescheduled → scheduled; the others → their own name    |
 * | patient_id            | patient of the last event in history                                                         |
 * | last_changed_at       | `timestamp` of the last event in history, as the sender wrote it                             |
 * | reschedule_count      | number of rescheduled events                                                                 |
 * | event_count, history  | every event, none dropped, fields copied                                                     |
 * | change_after_final    | per event after the first completed/cancelled one: [that final event, the later event]      |
 * | patient_changed       | once, when events name more than one patient: the events not naming the state's patient      |
 * | same_timestamp        | per instant carrying different event types: all the events at that instant                   |
 * | arrival_order_differs | per event that arrived after one stamped later: [it, the latest-stamped event already there] |
 *
 * Events that make no sense together are kept and flagged, never dropped or reordered. Flags come
 * in the order of the FlagType union, then by their event_ids; details carry ids, types and
 * timestamps only, never patient data or notes.
 */
import { normalisedInstant } from '../timestamp';

export type EventType = 'appointment.scheduled' | 'appointment.cancelled' | 'appointment.rescheduled' | 'appointment.completed' | 'appointment.no_show';

/** One stored event of the appointment, as the read API shows it. */
export interface StateInput {
  event_id: number; // unique, allocated on arrival: larger = arrived later
  event_type: EventType;
  patient_id: string;
  timestamp: string; // RFC 3339 exactly as the sender wrote it (any offset, any fraction digits)
  received_at: string; // ISO 8601 UTC, when we stored it
  notes: string | null;
}

export type FlagType = 'change_after_final' | 'patient_changed' | 'same_timestamp' | 'arrival_order_differs';

export interface AppointmentState {
  partner: string;
  appointment_id: string;
  status: 'scheduled' | 'cancelled' | 'completed' | 'no_show';
  patient_id: string;
  /** The `timestamp` (as sent) of the last event in history order. */
  last_changed_at: string;
  reschedule_count: number;
  event_count: number;
  history: Array<{ event_id: number; event_type: EventType; patient_id: string; timestamp: string; received_at: string; notes: string | null }>;
  flags: Array<{ type: FlagType; event_ids: number[]; detail: string }>;
}

type Flag = AppointmentState['flags'][number];

// Fixed so that ties do not depend on arrival; the outcomes that end an appointment sort last,
// so a cancellation stamped the same instant as anything else still decides the status.
const RANK: Readonly<Record<EventType, number>> = {
  'appointment.scheduled': 0,
  'appointment.rescheduled': 1,
  'appointment.no_show': 2,
  'appointment.completed': 3,
  'appointment.cancelled': 4,
};
const STATUS: Readonly<Record<EventType, AppointmentState['status']>> = {
  'appointment.scheduled': 'scheduled',
  'appointment.rescheduled': 'scheduled',
  'appointment.no_show': 'no_show',
  'appointment.completed': 'completed',
  'appointment.cancelled': 'cancelled',
};
const FINAL: ReadonlySet<EventType> = new Set(['appointment.completed', 'appointment.cancelled']);
const FLAG_ORDER: readonly FlagType[] = ['change_after_final', 'patient_changed', 'same_timestamp', 'arrival_order_differs'];

/** An event with its instant split once: whole seconds, and fraction digits without trailing zeros. */
interface Placed { event: StateInput; seconds: number; fraction: string }

function placed(event: StateInput): Placed {
  const [seconds, fraction = ''] = normalisedInstant(event.timestamp).split('.');
  return { event, seconds: Number(seconds), fraction };
}

/** Seconds as numbers (as text, "999" would follow "1000"); fractions as text, which orders decimal digits without trailing zeros correctly. */
function compareInstants(a: Placed, b: Placed): number {
  if (a.seconds !== b.seconds) return a.seconds - b.seconds;
  return a.fraction < b.fraction ? -1 : a.fraction > b.fraction ? 1 : 0;
}

function historyOrder(a: Placed, b: Placed): number {
  return compareInstants(a, b) || RANK[a.event.event_type] - RANK[b.event.event_type] || a.event.event_id - b.event.event_id;
}

function compareIds(a: readonly number[], b: readonly number[]): number {
  for (const [i, id] of a.entries()) {
    const other = b[i];
    if (other === undefined) return 1;
    if (id !== other) return id - other;
  }
  return a.length - b.length;
}

const described = (e: StateInput) => `event ${e.event_id} (${e.event_type}, stamped ${e.timestamp})`;

function changeAfterFinal(history: readonly StateInput[]): Flag[] {
  const first = history.findIndex((e) => FINAL.has(e.event_type));
  const final = history[first];
  if (!final) return [];
  // Against the first final event: from there on the appointment was over, so each later event is the anomaly.
  return history.slice(first + 1).map((later) => ({
    type: 'change_after_final',
    event_ids: [final.event_id, later.event_id],
    detail: `${described(later)} comes after ${described(final)}, which ended the appointment; it is kept in history and the status follows the last event.`,
  }));
}

function patientChanged(history: readonly StateInput[], last: StateInput): Flag[] {
  const others = history
    .filter((e) => e.patient_id !== last.patient_id)
    .map((e) => e.event_id)
    .sort((a, b) => a - b);
  if (others.length === 0) return [];
  return [
    {
      type: 'patient_changed',
      event_ids: others,
      detail: `Events ${others.join(', ')} name a different patient from event ${last.event_id}, the last in history; the state shows the patient of event ${last.event_id}.`,
    },
  ];
}

function sameTimestamp(sorted: readonly Placed[]): Flag[] {
  const groups: StateInput[][] = [];
  sorted.forEach((p, i) => {
    const previous = sorted[i - 1];
    if (previous && compareInstants(previous, p) === 0) groups.at(-1)?.push(p.event);
    else groups.push([p.event]);
  });
  const flags: Flag[] = [];
  for (const group of groups) {
    if (new Set(group.map((e) => e.event_type)).size < 2) continue;
    const ids = group.map((e) => e.event_id).sort((a, b) => a - b);
    flags.push({
      type: 'same_timestamp',
      event_ids: ids,
      detail:
        `Events ${ids.join(', ')} are stamped the same instant (${group.map((e) => e.timestamp).join(' = ')}) with different types; ` +
        'they are ordered scheduled, rescheduled, no_show, completed, cancelled, then by event_id.',
    });
  }
  return flags;
}

function arrivalOrderDiffers(sorted: readonly Placed[]): Flag[] {
  const arrival = [...sorted].sort((a, b) => a.event.event_id - b.event.event_id);
  const flags: Flag[] = [];
  let latest: Placed | undefined; // of those arrived so far, the one latest in history
  for (const [i, late] of arrival.entries()) {
    // Arrival order is the event_id order, so two events with one id would make it ambiguous.
    if (arrival[i - 1]?.event.event_id === late.event.event_id) throw new Error(`event_id ${late.event.event_id} appears twice`);
    if (latest && compareInstants(latest, late) > 0) {
      const [e, l] = [late.event, latest.event];
      flags.push({
        type: 'arrival_order_differs',
        event_ids: [e.event_id, l.event_id],
        detail:
          `Event ${e.event_id} (stamped ${e.timestamp}, received ${e.received_at}) arrived after event ${l.event_id} ` +
          `(stamped ${l.timestamp}, received ${l.received_at}), which is stamped later; history follows the timestamps.`,
      });
    }
    if (!latest || historyOrder(late, latest) > 0) latest = late;
  }
  return flags;
}

export function appointmentState(partner: string, appointmentId: string, events: readonly StateInput[]): AppointmentState {
  const sorted = events.map(placed).sort(historyOrder);
  const history = sorted.map(({ event: e }) => ({
    event_id: e.event_id,
    event_type: e.event_type,
    patient_id: e.patient_id,
    timestamp: e.timestamp,
    received_at: e.received_at,
    notes: e.notes,
  }));
  const last = history.at(-1);
  if (!last) throw new Error(`appointment ${appointmentId} has no events: there is no state to show`);
  const flags = [...changeAfterFinal(history), ...patientChanged(history, last), ...sameTimestamp(sorted), ...arrivalOrderDiffers(sorted)];
  flags.sort((a, b) => FLAG_ORDER.indexOf(a.type) - FLAG_ORDER.indexOf(b.type) || compareIds(a.event_ids, b.event_ids));
  return {
    partner,
    appointment_id: appointmentId,
    status: STATUS[last.event_type],
    patient_id: last.patient_id,
    last_changed_at: last.timestamp,
    reschedule_count: history.filter((e) => e.event_type === 'appointment.rescheduled').length,
    event_count: history.length,
    history,
    flags,
  };
}
