import { readdirSync, readFileSync } from 'node:fs';

/** Kernel clock ticks per second (USER_HZ): 100 on every Linux this runs on. */
const TICKS_PER_SECOND = 100;

/** utime + stime of a /proc stat line, in ms; fields counted after the command name, which may hold spaces. */
function statCpuMs(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime is field 14, stime field 15.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

/** CPU time `pid` has used so far, user and kernel, in ms (all its threads; 10 ms resolution). */
export function processCpuMs(pid: number): number {
  return statCpuMs(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

/** CPU ms so far of `pid`'s main thread, and of all its other threads together (V8's GC and compiler helpers, libuv's pool). */
export function threadCpuMs(pid: number): { main: number; others: number } {
  let others = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    if (Number(tid) === pid) continue;
    try {
      others += statCpuMs(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'));
    } catch {
      // the thread exited meanwhile
    }
  }
  return { main: statCpuMs(readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8')), others };
}

/** CPU ms used by each of `pids` while `fn` runs. */
export async function cpuDuring<T>(pids: readonly number[], fn: () => Promise<T>): Promise<{ result: T; cpuMs: number[] }> {
  const before = pids.map(processCpuMs);
  const result = await fn();
  return { result, cpuMs: pids.map((pid, i) => processCpuMs(pid) - before[i]) };
}
