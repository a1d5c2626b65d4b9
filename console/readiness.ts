// The operator console's readiness badge: GET /readyz, which is public, so it is shown with or
// without the operator token. Part of the one classic script built from console/tsconfig.json.

const readiness = byTestId('readiness');

function setReadiness(state: 'ready' | 'not-ready' | 'unreachable', text: string, detail: string): void {
  readiness.dataset.state = state;
  readiness.className = `badge badge-${state}`;
  readiness.textContent = text;
  readiness.title = detail;
}

async function loadReadiness(): Promise<void> {
  try {
    await getJson('/readyz', false);
    setReadiness('ready', 'ready', 'GET /readyz answered 200: the database answers.');
  } catch (err) {
    if (err instanceof ApiError && err.status !== 0) setReadiness('not-ready', 'not ready', err.message);
    else setReadiness('unreachable', 'unreachable', err instanceof Error ? err.message : 'The service did not answer.');
  }
}
