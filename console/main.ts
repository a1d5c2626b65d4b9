// The operator console's start-up and refreshing: every few seconds (`?refresh=<1..60>`, 5 by
// default) it reloads readiness and, with the token, the summary and the deliveries; a reply to an
// older round is dropped. The last of the files console/tsconfig.json compiles, in order, into the
// one classic script /console/console.js; the token lives in this tab's sessionStorage only.

/** Seconds between refreshes: `?refresh=<1..60>` in the page's URL, 5 otherwise. */
const REFRESH_SECONDS = ((): number => {
  const raw = new URLSearchParams(location.search).get('refresh');
  if (raw !== null && /^[0-9]{1,2}$/.test(raw)) {
    const seconds = Number(raw);
    if (seconds >= 1 && seconds <= 60) return seconds;
  }
  return 5;
})();

const lastUpdated = byTestId<HTMLTimeElement>('last-updated');
const autoRefresh = byTestId<HTMLInputElement>('auto-refresh');
byTestId('refresh-seconds').textContent = String(REFRESH_SECONDS);

/** Bumped by each refresh and by forgetting the token: a reply to an older round is dropped. */
let generation = 0;
let timer: ReturnType<typeof setTimeout> | undefined;

function clearShownData(): void {
  partnersBody.replaceChildren();
  chart.replaceChildren();
  deliveriesBody.replaceChildren();
  deliveriesCount.textContent = '';
  appointmentResult.replaceChildren();
  show(appointmentResult, false);
  eventResult.textContent = '';
  show(eventResult, false);
  for (const message of [summaryError, deliveriesError, eventError, appointmentError]) say(message, null);
}

async function refresh(): Promise<void> {
  if (timer !== undefined) clearTimeout(timer);
  timer = undefined;
  const round = ++generation;
  const readinessLoaded = loadReadiness();
  if (token() !== null) {
    const [summaryLoaded, deliveriesLoaded] = await Promise.all([loadSummary(round), loadDeliveries(round)]);
    if (round === generation && summaryLoaded && deliveriesLoaded) {
      const now = new Date();
      lastUpdated.textContent = timeOfDay(now);
      lastUpdated.dateTime = now.toISOString();
      lastUpdated.dataset.updatedAt = now.toISOString();
    }
  }
  await readinessLoaded;
  if (round === generation) schedule();
}

function schedule(): void {
  if (timer !== undefined) clearTimeout(timer);
  timer = autoRefresh.checked ? setTimeout(() => void refresh(), REFRESH_SECONDS * 1000) : undefined;
}

autoRefresh.addEventListener('change', () => (autoRefresh.checked ? void refresh() : schedule()));
refreshNowButton.addEventListener('click', () => void refresh());

showSignedIn(token() !== null);
void refresh();
