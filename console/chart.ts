// The operator console's refusal chart: one SVG row per error type, built with createElementNS.
// Part of the one classic script built from console/tsconfig.json's "files".

type RefusalCount = Schemas['RefusalCount'];

const chart = byTestId('refusals-chart');

/** Horizontal bars, one row per error type: the last day's count, and the last hour's over it. */
function renderRefusals(refusals: readonly RefusalCount[]): void {
  if (refusals.length === 0) {
    chart.replaceChildren(el('p', { class: 'empty', 'data-testid': 'refusals-empty' }, 'No refusals in the last day.'));
    return;
  }
  const width = 800;
  const labelWidth = 330;
  const barStart = labelWidth + 10;
  const barSpace = 340;
  const rowHeight = 26;
  const barHeight = 16;
  const max = Math.max(1, ...refusals.map((refusal) => Math.max(refusal.last_day, refusal.last_hour)));
  const length = (n: number): number => (n === 0 ? 0 : Math.max(2, Math.round((n / max) * barSpace)));
  const height = refusals.length * rowHeight + 4;
  const chartSvg = svg('svg', { viewBox: `0 0 ${width} ${height}`, width: '100%', height, role: 'img', 'aria-labelledby': 'refusals-title', preserveAspectRatio: 'xMinYMin meet', 'data-testid': 'refusals-svg' });
  chartSvg.append(svg('title', { id: 'refusals-title' }, `Refusals by error type: ${refusals.length} types`));
  refusals.forEach((refusal, index) => {
    const y = index * rowHeight + 2;
    const middle = y + rowHeight / 2;
    const dayLength = length(refusal.last_day);
    const hourLength = length(refusal.last_hour);
    const row = svg(
      'g',
      { class: 'refusal', 'data-testid': 'refusal-bar', 'data-type': refusal.type, 'data-last-hour': refusal.last_hour, 'data-last-day': refusal.last_day },
      svg('title', {}, `${refusal.type}: ${refusal.last_hour} in the last hour, ${refusal.last_day} in the last day`),
      svg('text', { x: labelWidth, y: middle, class: 'label', 'text-anchor': 'end', 'dominant-baseline': 'central', 'data-field': 'type' }, refusal.type),
      svg('rect', { x: barStart, y: middle - barHeight / 2, width: dayLength, height: barHeight, class: 'bar-day' }),
      svg('rect', { x: barStart, y: middle - barHeight / 2 + 4, width: hourLength, height: barHeight - 8, class: 'bar-hour' }),
      svg('text', { x: barStart + Math.max(dayLength, hourLength) + 6, y: middle, class: 'count', 'dominant-baseline': 'central', 'data-field': 'counts' }, `${refusal.last_hour} h · ${refusal.last_day} d`),
    );
    chartSvg.append(row);
  });
  chart.replaceChildren(chartSvg);
}
