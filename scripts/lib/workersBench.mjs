// One worker against WORKERS = every core (--only=workers, and part of the full run): accepted
// events per second and CPU per event of the whole process tree (primary and workers), in
// alternating rounds on databases of their own. The load generator runs in the bench's own
// process on the same machine, so on a small machine it takes a core from the workers: the
// figures say what this machine gives, not what more cores would.
import { cpuSeconds } from './cpu.mjs';
import { processTree } from './procStats.mjs';
import { median } from './stats.mjs';

const treeCpu = (pid) => processTree(pid).reduce((sum, p) => sum + (cpuSeconds(p) || 0), 0);

export async function workersCompared({ service, stopProcess, load, log, makeBody, cores, connections, seconds, rounds }) {
  const counts = [...new Set([1, cores])];
  const runs = Object.fromEntries(counts.map((n) => [n, []]));
  for (let round = 1; round <= rounds; round++) {
    // Alternate which goes first, so neither always meets a warmer database.
    const order = round % 2 === 1 ? counts : [...counts].reverse();
    for (const workers of order) {
      log(`bench: WORKERS=${workers}, round ${round} of ${rounds}...`);
      const svc = await service(`bench_workers_${workers}_${round}`, { WORKERS: String(workers) }, `bench-workers-${workers}-${round}`, 30000);
      try {
        const before = treeCpu(svc.child.pid);
        const result = await load(svc.url, connections, svc.auth, makeBody, seconds);
        const cpu = treeCpu(svc.child.pid) - before;
        runs[workers].push({ ...result, cpuMicrosPerEvent: result.ok > 0 ? Math.round((cpu * 1e6) / result.ok) : null });
      } finally {
        await stopProcess(svc.child);
      }
    }
  }
  const perSecond = Object.fromEntries(counts.map((n) => [n, median(runs[n].map((r) => r.perSecond))]));
  return {
    cores,
    connections,
    seconds,
    rounds,
    perSecond,
    cpuMicrosPerEvent: Object.fromEntries(counts.map((n) => [n, median(runs[n].map((r) => r.cpuMicrosPerEvent))])),
    ratio: +(perSecond[cores] / perSecond[1]).toFixed(2),
    failed: Object.fromEntries(counts.map((n) => [n, runs[n].reduce((sum, r) => sum + r.other + r.errors, 0)])),
    runs,
  };
}

export function workersLines(result) {
  const rows = Object.keys(result.perSecond).map((n) => `| ${n} | ${result.perSecond[n]} | ${result.cpuMicrosPerEvent[n]} | ${result.failed[n]} |`);
  return [
    `\nOne worker against every core (${result.cores}), ${result.connections} connections, ${result.seconds} s × ${result.rounds} rounds (medians):`,
    '| WORKERS | accepted events/s | CPU µs per event (all processes) | non-2xx or errors |',
    '| ---: | ---: | ---: | ---: |',
    ...rows,
    `Ratio every core ÷ one: ${result.ratio}`,
  ];
}
