// The operator console's lookups: one stored event by its event_id (GET /operator/events/{id}),
// and one appointment's state and history (GET /operator/appointments/{partner}/{id}).
// Part of the one classic script built from console/tsconfig.json's "files".

type StoredEvent = Schemas['StoredEvent'];
type AppointmentState = Schemas['AppointmentState'];

const PARTNER_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const EVENT_ID = /^[1-9][0-9]{0,14}$/;

const eventForm = byTestId<HTMLFormElement>('event-lookup');
const eventInput = byTestId<HTMLInputElement>('event-id-input');
const eventError = byTestId('event-error');
const eventResult = byTestId('event-result');
const appointmentForm = byTestId<HTMLFormElement>('appointment-lookup');
const appointmentPartner = byTestId<HTMLInputElement>('appointment-partner-input');
const appointmentId = byTestId<HTMLInputElement>('appointment-id-input');
const appointmentError = byTestId('appointment-error');
const appointmentResult = byTestId('appointment-result');

async function lookUpEvent(raw: string): Promise<void> {
  const eventId = raw.trim();
  eventInput.value = eventId;
  say(eventError, null);
  show(eventResult, false);
  if (!EVENT_ID.test(eventId)) return say(eventError, 'An event_id is a whole number from 1.');
  try {
    const event = await operatorGet<StoredEvent>(`/operator/events/${eventId}`);
    eventResult.textContent = JSON.stringify(event, null, 2);
    eventResult.dataset.eventId = String(event.event_id);
    show(eventResult, true);
  } catch (err) {
    if (!(err instanceof TokenNeeded)) say(eventError, messageOf(err));
  }
}

function appointmentView(state: AppointmentState): HTMLElement[] {
  const facts: [string, string, string][] = [
    ['Status', state.status, 'appointment-status'],
    ['Partner', state.partner, 'appointment-partner'],
    ['Appointment id', state.appointment_id, 'appointment-id'],
    ['Patient id', state.patient_id, 'appointment-patient'],
    ['Last changed at', state.last_changed_at, 'appointment-last-changed'],
    ['Reschedules', String(state.reschedule_count), 'appointment-reschedules'],
    ['Events', String(state.event_count), 'appointment-event-count'],
  ];
  const list = el('dl', { class: 'facts' });
  for (const [term, value, testId] of facts) list.append(el('dt', {}, term), el('dd', { 'data-testid': testId }, value));
  const history = el(
    'table',
    { 'data-testid': 'appointment-history' },
    el('thead', {}, el('tr', {}, el('th', { class: 'num' }, 'event_id'), el('th', {}, 'event_type'), el('th', {}, 'timestamp'), el('th', {}, 'received_at'), el('th', {}, 'patient_id'), el('th', {}, 'notes'))),
    el(
      'tbody',
      {},
      ...state.history.map((entry) =>
        el('tr', { 'data-event-id': String(entry.event_id) }, el('td', { class: 'num' }, String(entry.event_id)), el('td', {}, entry.event_type), el('td', {}, entry.timestamp), el('td', {}, entry.received_at), el('td', {}, entry.patient_id), el('td', {}, entry.notes ?? '')),
      ),
    ),
  );
  const flags =
    state.flags.length === 0
      ? el('p', { class: 'note', 'data-testid': 'appointment-flags' }, 'No flags.')
      : el('ul', { 'data-testid': 'appointment-flags', class: 'flags' }, ...state.flags.map((flag) => el('li', {}, `${flag.type} (events ${flag.event_ids.join(', ')}): ${flag.detail}`)));
  const raw = el('details', {}, el('summary', {}, 'As returned (JSON)'), el('pre', { class: 'json' }, JSON.stringify(state, null, 2)));
  return [list, el('h3', {}, 'History'), el('div', { class: 'scroll' }, history), el('h3', {}, 'Flags'), flags, raw];
}

eventForm.addEventListener('submit', (submitted) => {
  submitted.preventDefault();
  void lookUpEvent(eventInput.value);
});

appointmentForm.addEventListener('submit', (submitted) => {
  submitted.preventDefault();
  void (async () => {
    const partner = appointmentPartner.value.trim();
    const id = appointmentId.value;
    say(appointmentError, null);
    show(appointmentResult, false);
    if (!PARTNER_NAME.test(partner)) return say(appointmentError, 'A partner name is 1 to 63 characters: a-z, 0-9, ".", "_" or "-", starting with a letter or digit.');
    // A path segment of "." or ".." would be folded away by the URL, asking for another route.
    if (id === '' || id === '.' || id === '..') return say(appointmentError, 'Enter the appointment id as the partner sent it.');
    try {
      const state = await operatorGet<AppointmentState>(`/operator/appointments/${encodeURIComponent(partner)}/${encodeURIComponent(id)}`);
      appointmentResult.replaceChildren(...appointmentView(state));
      show(appointmentResult, true);
    } catch (err) {
      if (!(err instanceof TokenNeeded)) say(appointmentError, messageOf(err));
    }
  })();
});
