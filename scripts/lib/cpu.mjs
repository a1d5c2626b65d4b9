import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU seconds (user + system) a process has used so far; this process when no pid is given. */
export function cpuSeconds(pid) {
  if (pid === undefined) {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1e6;
  }
  try {
    return statSeconds(`/proc/${pid}/stat`);
  } catch {
    return NaN;
  }
}

/**
 * CPU seconds from a /proc stat file (a process's, or one thread's under task/): user, system or
 * both. Fields after the command name (which may hold spaces), counted from field 3: utime is 14,
 * stime 15.
 */
export function statSeconds(path, which = 'both') {
  const fields = readFileSync(path, 'utf8').split(') ')[1].split(' ');
  return ((which === 'system' ? 0 : Number(fields[11])) + (which === 'user' ? 0 : Number(fields[12]))) / TICKS_PER_SECOND;
}

/** CPU seconds each named process uses between now and `stop()`. */
export function cpuMeter(pids) {
  const start = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)]));
  return {
    stop: () => Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, +(cpuSeconds(pid) - start[name]).toFixed(1)])),
  };
}
