/**
 * How many CPU cores this process may use: the one place every "default = CPU cores" comes from (serving
 * processes, ONNX run threads, SavedModel workers, REST codec threads, batch threads).
 * Cgroup-aware: a container limited to 2 CPUs on a 64-core node gets 2, not 64 (os.availableParallelism() counts the
 * node's CPUs, or the affinity mask, never the CFS quota).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** The cgroup v2 CPU limit file: `<quota> <period>` in µs, or `max <period>` when unlimited. */
const CGROUP_CPU_MAX = '/sys/fs/cgroup/cpu.max';

/**
 * Cores allowed by `available` (os.availableParallelism()) and a cgroup v2 `cpu.max` text: min(available,
 * ceil(quota / period)), at least 1. An absent, unlimited (`max`) or unreadable limit leaves `available`. Pure.
 */
export function coresFromCgroup(available: number, cpuMax: string | undefined): number {
  const floor = Math.max(1, Math.floor(available));
  if (cpuMax === undefined) return floor;
  const [quota, period] = cpuMax.trim().split(/\s+/);
  if (quota === undefined || quota === 'max' || !/^\d+$/.test(quota)) return floor;
  const periodMicros = period !== undefined && /^\d+$/.test(period) ? Number(period) : 100_000;
  if (periodMicros <= 0 || Number(quota) <= 0) return floor;
  return Math.max(1, Math.min(floor, Math.ceil(Number(quota) / periodMicros)));
}

let cached: number | undefined;

/** Cores this process may use: coresFromCgroup(os.availableParallelism(), /sys/fs/cgroup/cpu.max). Read once. */
export function effectiveCores(): number {
  if (cached === undefined) {
    let cpuMax: string | undefined;
    try {
      cpuMax = readFileSync(CGROUP_CPU_MAX, 'utf8');
    } catch {
      cpuMax = undefined; // not Linux, cgroup v1, or no cpu controller: no limit known
    }
    cached = coresFromCgroup(os.availableParallelism(), cpuMax);
  }
  return cached;
}

/** `--processes=0` (auto): one serving process per two effective cores, at least one. */
export function autoProcesses(cores = effectiveCores()): number {
  return Math.max(1, Math.floor(cores / 2));
}

/**
 * The per-process share of the cores when `processes` serving processes share the machine: ceil(cores / processes),
 * so N processes together start about as many threads (and ONNX sessions under load) as one process would.
 */
export function coresPerProcess(processes: number, cores = effectiveCores()): number {
  return Math.max(1, Math.ceil(cores / Math.max(1, processes)));
}
