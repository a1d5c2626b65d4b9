// What /proc tells of a process beyond its total CPU time (scripts/lib/cpu.mjs): where that time
// was spent, and how many system calls it made.
import { readdirSync, readFileSync } from 'node:fs';
import { statSeconds } from './cpu.mjs';

/**
 * The main thread's CPU seconds (JS, and GC work done there; `which`: 'user', 'system' or both);
 * the rest is V8's helper threads and libuv's.
 */
export function mainThreadSeconds(pid, which = 'both') {
  try {
    return statSeconds(`/proc/${pid}/task/${pid}/stat`, which);
  } catch {
    return NaN;
  }
}
/** The process's system (kernel) CPU seconds, all threads: socket I/O, wake-ups, page faults. */
export function systemSeconds(pid) {
  try {
    return statSeconds(`/proc/${pid}/stat`, 'system');
  } catch {
    return NaN;
  }
}

/** Read and write system calls so far, all threads (socket and file I/O: replies, database commands, log lines). */
export function syscalls(pid) {
  try {
    const io = Object.fromEntries(readFileSync(`/proc/${pid}/io`, 'utf8').trim().split('\n').map((l) => l.split(': ')));
    return { reads: Number(io.syscr), writes: Number(io.syscw) };
  } catch {
    return { reads: NaN, writes: NaN };
  }
}

/** A process and all its descendants (a service with WORKERS serves from its children). */
export function processTree(pid) {
  const pids = [pid];
  for (let i = 0; i < pids.length; i++) {
    try {
      for (const tid of readdirSync(`/proc/${pids[i]}/task`)) {
        const children = readFileSync(`/proc/${pids[i]}/task/${tid}/children`, 'utf8').trim();
        if (children) pids.push(...children.split(' ').map(Number));
      }
    } catch {
      // The process ended meanwhile.
    }
  }
  return pids;
}

/** CPU seconds by thread name (the main thread is the process's own name; V8's helpers, libuv's pool). */
export function threadSeconds(pid) {
  const byName = {};
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const name = tid === String(pid) ? 'main' : readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      byName[name] = (byName[name] ?? 0) + statSeconds(`/proc/${pid}/task/${tid}/stat`);
    }
  } catch {
    // The process or a thread ended meanwhile.
  }
  return byName;
}
