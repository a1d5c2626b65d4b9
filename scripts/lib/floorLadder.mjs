// The framework floor against itself plus part of what the service may not drop
// (scripts/lib/floorParts.mjs), one step at a time, in alternating rounds: on a shared machine two
// loads measured minutes apart differ by a third, so each step is compared with the floor measured
// in the same round, and the medians are reported with every round's own ratio.
import { createHash } from 'node:crypto';
import { PARTS } from './floorParts.mjs';
import { median, ratio } from './stats.mjs';

/** name, the parts it adds (none: the floor itself), the paths it is measured on. */
export const LADDER = [
  ['floor', [], ['201', '422']],
  ['cpu', ['key', 'headers', 'log', 'metrics'], ['201', '422']],
  ['store', ['key', 'headers', 'log', 'metrics', 'store'], ['201']],
  ['deliveries', PARTS, ['201', '422']],
];

/**
 * `rounds` rounds of every step, each in a fresh floor process. `measure(child, body, expected)`
 * gives the CPU per request (cpuBench.mjs); `headers` carry the bench partner's key.
 */
export async function mandatedLadder({ rounds, startProcess, stopProcess, freePort, measure, log, floorScript, dbUri, headers, bodies, profiled }) {
  const digest = createHash('sha256').update(String(headers.Authorization).slice('Bearer '.length)).digest('hex');
  const runs = [];
  for (let round = 1; round <= rounds; round++) {
    const byStep = {};
    for (const [name, parts, paths] of LADDER) {
      const port = await freePort();
      const args = [floorScript, String(port), ...(parts.length ? [`--mandated=${parts.join(',')}`] : [])];
      const env = { FLOOR_MONGODB_URI: dbUri, FLOOR_DB_NAME: `bench_floor_${name}`, FLOOR_KEY_DIGEST: digest };
      const child = await startProcess([...profiled(`ladder-${name}-${round}`), ...args], env, `http://127.0.0.1:${port}/readyz`);
      try {
        byStep[name] = {};
        for (const path of paths) {
          log(`bench: ladder round ${round}, ${name}, ${path}...`);
          const m = await measure({ pid: child.pid, url: `http://127.0.0.1:${port}/webhook/appointment`, headers, body: bodies[path], expected: path });
          // A step that answered anything else measured something else: no figure.
          byStep[name][path] = m.unexpected + m.errors === 0 ? m.cpuMicrosPerRequest : null;
        }
      } finally {
        await stopProcess(child);
      }
    }
    runs.push(byStep);
  }
  const steps = LADDER.map(([name, parts, paths]) => {
    const row = { name, parts, byPath: {} };
    for (const path of paths) {
      const own = runs.map((r) => r[name][path]);
      const floors = runs.map((r) => r.floor[path]);
      const complete = own.every((v) => v !== null) && floors.every((v) => v !== null);
      row.byPath[path] = {
        microsPerRequest: own,
        median: complete ? median(own) : null,
        toFloorByRound: own.map((v, i) => (v === null || floors[i] === null ? null : ratio(v, floors[i]))),
        toFloor: complete ? ratio(median(own), median(floors)) : null,
      };
    }
    return row;
  });
  return { rounds, steps };
}
