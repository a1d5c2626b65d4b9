// The operator console's summary: GET /operator/summary, shown as the partners table (counts and
// success rate per partner and mode) and the refusal chart (chart.ts); it also fills the partner
// and error-type choices of the filters and forms. Part of the one classic script built from
// console/tsconfig.json's "files".

type OperatorSummary = Schemas['OperatorSummary'];
type PartnerActivity = Schemas['PartnerActivity'];
type DeliveryCounts = Schemas['DeliveryCounts'];

const partnersBody = byTestId('partners-body');
const summaryError = byTestId('summary-error');
const stepMinutes = byTestId('step-minutes');
const partnerFilter = byTestId<HTMLSelectElement>('filter-partner');
const partnerNames = byTestId('partner-names');
const errorTypes = byTestId('error-types');

const COUNT_FIELDS = ['accepted', 'replayed', 'refused', 'failed'] as const;

function countCells(span: 'last_hour' | 'last_day', counts: DeliveryCounts): HTMLTableCellElement[] {
  const cells = COUNT_FIELDS.map((field) => el('td', { class: 'num', 'data-field': `${span}.${field}` }, String(counts[field])));
  const rate = el('td', { class: 'num rate', 'data-field': `${span}.success_rate` }, percent(counts.success_rate));
  if (counts.success_rate !== null) rate.title = String(counts.success_rate);
  return [...cells, rate];
}

function partnerRow(activity: PartnerActivity): HTMLTableRowElement {
  const name = el('td', { 'data-field': 'partner' }, partnerLabel(activity.partner));
  if (activity.partner === null) name.className = 'unnamed';
  return el(
    'tr',
    { 'data-testid': 'partner-row', 'data-partner': activity.partner ?? '', 'data-mode': activity.mode ?? '' },
    name,
    el('td', { 'data-field': 'mode' }, activity.mode ?? '—'),
    ...countCells('last_hour', activity.last_hour),
    ...countCells('last_day', activity.last_day),
  );
}

function renderPartners(summary: OperatorSummary): void {
  const rows = summary.partners.map(partnerRow);
  if (rows.length === 0) rows.push(el('tr', {}, el('td', { colspan: '12', class: 'empty' }, 'No partners and no deliveries in the last day.')));
  partnersBody.replaceChildren(...rows);
  stepMinutes.textContent = String(summary.step_seconds / 60);

  // The partner filter and the appointment form offer the names seen here; a chosen one stays.
  const names = [...new Set(summary.partners.map((activity) => activity.partner).filter((name): name is string => name !== null))].sort();
  const chosen = partnerFilter.value;
  const options = [el('option', { value: '' }, 'any'), ...names.map((name) => el('option', { value: name }, name))];
  if (chosen !== '' && !names.includes(chosen)) options.push(el('option', { value: chosen }, chosen));
  partnerFilter.replaceChildren(...options);
  partnerFilter.value = chosen;
  partnerNames.replaceChildren(...names.map((name) => el('option', { value: name })));
  errorTypes.replaceChildren(...summary.refusals.map((refusal) => el('option', { value: refusal.type })));
}

async function loadSummary(round: number): Promise<boolean> {
  try {
    const summary = await operatorGet<OperatorSummary>('/operator/summary');
    if (round !== generation) return false;
    renderPartners(summary);
    renderRefusals(summary.refusals);
    say(summaryError, null);
    return true;
  } catch (err) {
    if (round === generation && !(err instanceof TokenNeeded)) say(summaryError, `The summary could not be loaded: ${messageOf(err)}`);
    return false;
  }
}
