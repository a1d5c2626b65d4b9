// The operator console's latest deliveries: GET /operator/deliveries with the filters (partner,
// status class, error type), newest first; an event_id in a row looks that event up (lookups.ts).
// Part of the one classic script built from console/tsconfig.json's "files".

type DeliveryPage = Schemas['DeliveryPage'];
type Delivery = Schemas['Delivery'];

const DELIVERY_LIMIT = 50;

const filterForm = byTestId<HTMLFormElement>('deliveries-filter');
const statusFilter = byTestId<HTMLSelectElement>('filter-status');
const typeFilter = byTestId<HTMLInputElement>('filter-type');
const deliveriesBody = byTestId('deliveries-body');
const deliveriesError = byTestId('deliveries-error');
const deliveriesCount = byTestId('deliveries-count');

function deliveriesQuery(): string {
  const query = new URLSearchParams({ limit: String(DELIVERY_LIMIT) });
  if (partnerFilter.value !== '') query.set('partner', partnerFilter.value);
  if (statusFilter.value !== '') query.set('status_class', statusFilter.value);
  const type = typeFilter.value.trim();
  if (type !== '') query.set('type', type);
  return query.toString();
}

function deliveryRow(delivery: Delivery): HTMLTableRowElement {
  const received = new Date(delivery.received_at);
  const statusClass = `status-${String(delivery.status).charAt(0)}xx`;
  const errors = delivery.errors.map((error) => `${error.type} at ${error.loc.join('.')}`).join(', ');
  const eventCell = el('td', { class: 'num', 'data-field': 'event_id' });
  if (delivery.event_id !== null && delivery.mode === 'test') {
    // Test events are numbered apart and never shown here: the same number names a live event.
    eventCell.append(el('span', { title: 'a test event (numbered apart from live events)' }, `${delivery.event_id} (test)`));
  } else if (delivery.event_id !== null) {
    const eventId = delivery.event_id;
    const button = el('button', { type: 'button', class: 'link', 'data-testid': 'delivery-event-link', title: 'Look this event up' }, String(eventId));
    button.addEventListener('click', () => void lookUpEvent(String(eventId)));
    eventCell.append(button);
  }
  const partner = el('td', { 'data-field': 'partner' }, partnerLabel(delivery.partner));
  if (delivery.partner === null) {
    partner.className = 'unnamed';
    if (delivery.client_address !== null) partner.title = `from ${delivery.client_address}`;
  }
  return el(
    'tr',
    { 'data-testid': 'delivery-row', 'data-request-id': delivery.request_id, 'data-status': String(delivery.status), 'data-partner': delivery.partner ?? '' },
    el('td', { 'data-field': 'received_at', title: delivery.received_at }, Number.isNaN(received.getTime()) ? delivery.received_at : timeOfDay(received)),
    partner,
    el('td', { 'data-field': 'mode' }, delivery.mode ?? '—'),
    el('td', { class: `num ${statusClass}`, 'data-field': 'status' }, String(delivery.status)),
    el('td', { 'data-field': 'errors', class: 'errors' }, errors),
    eventCell,
    el('td', { 'data-field': 'replayed' }, delivery.replayed ? 'yes' : ''),
    el('td', { class: 'num', 'data-field': 'latency_ms' }, `${delivery.latency_ms.toFixed(1)} ms`),
    el('td', { class: 'mono', 'data-field': 'request_id' }, delivery.request_id),
  );
}

async function loadDeliveries(round: number): Promise<boolean> {
  try {
    const page = await operatorGet<DeliveryPage>(`/operator/deliveries?${deliveriesQuery()}`);
    if (round !== generation) return false;
    const rows = page.data.map(deliveryRow);
    if (rows.length === 0) rows.push(el('tr', {}, el('td', { colspan: '9', class: 'empty' }, 'No deliveries match.')));
    deliveriesBody.replaceChildren(...rows);
    deliveriesCount.textContent = `${page.data.length} shown, newest first${page.has_more ? ' (older ones exist)' : ''}.`;
    say(deliveriesError, null);
    return true;
  } catch (err) {
    if (round === generation && !(err instanceof TokenNeeded)) say(deliveriesError, `The deliveries could not be loaded: ${messageOf(err)}`);
    return false;
  }
}

filterForm.addEventListener('submit', (submitted) => {
  submitted.preventDefault();
  void refresh();
});
filterForm.addEventListener('reset', () => setTimeout(() => void refresh(), 0));
partnerFilter.addEventListener('change', () => void refresh());
statusFilter.addEventListener('change', () => void refresh());
