/** p50, p95 and max of a list of milliseconds (rounded to 0.1 ms), and how many there were. */
export function summary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => (sorted.length ? +sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))].toFixed(1) : null);
  return { n: sorted.length, p50: at(0.5), p95: at(0.95), max: sorted.length ? +sorted[sorted.length - 1].toFixed(1) : null };
}

/** The middle value (the upper one of an even count). */
export const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

export const ratio = (a, b) => (b ? +(a / b).toFixed(2) : 0);

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** How many times each value occurs, as an object (status codes, for instance). */
export function tally(values) {
  const counts = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}
