/**
 * What a process (or a process and its descendants) has used so far, read from Linux /proc: CPU time (user +
 * system, every thread) and resident memory. Linux only; the bench reports CPU per request from the difference of
 * two readings.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICK_MICROS = 1_000_000 / 100; // USER_HZ is 100 on every Linux the bench runs on

/** The fields after "pid (comm) " of /proc/PID/stat; field 3 (state) is index 0. */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null; // exited
  }
}

/** CPU time (user + system, all threads) a process has used so far, in µs (clock ticks of 10 ms). */
export function processCpuMicros(pid: number): number {
  const fields = statFields(pid);
  // utime is field 14 → index 11, stime field 15 → index 12.
  return fields === null ? 0 : (Number(fields[11]) + Number(fields[12])) * TICK_MICROS;
}

/** `pid` and every live process below it (children, grandchildren, ...). */
export function processTree(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const fields = statFields(Number(name));
    if (fields !== null) parentOf.set(Number(name), Number(fields[1])); // ppid is field 4 → index 1
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    for (const [child, parent] of parentOf) if (parent === tree[i]) tree.push(child);
  }
  return tree;
}

/** CPU µs used so far by `pid` and its descendants (those alive now). */
export function treeCpuMicros(pid: number): number {
  return processTree(pid).reduce((sum, p) => sum + processCpuMicros(p), 0);
}

/** Resident memory of `pid` and its descendants, bytes (VmRSS of each; shared pages are counted once per process). */
export function treeRssBytes(pid: number): number {
  let total = 0;
  for (const p of processTree(pid)) {
    try {
      const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) total += Number(m[1]) * 1024;
    } catch {
      // exited
    }
  }
  return total;
}

/** CPU µs used so far by each thread of `pid` (tid → µs); the main thread's tid is the pid. Empty once exited. */
export function threadCpuMicros(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), (Number(fields[11]) + Number(fields[12])) * TICK_MICROS);
    } catch {
      // thread ended
    }
  }
  return out;
}
