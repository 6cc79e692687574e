import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessMemory {
  /** Resident set now, MiB. */
  rssMiB: number;
  /** Peak resident set so far (kernel high-water mark), MiB. */
  hwmMiB: number;
  threads: number;
}

function readStatus(pid: number): ProcessMemory | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null; // gone
  }
  const kib = (field: string): number => {
    const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
    return match ? Number(match[1]) : 0;
  };
  const threads = /^Threads:\s+(\d+)/m.exec(text);
  return { rssMiB: kib('VmRSS') / 1024, hwmMiB: kib('VmHWM') / 1024, threads: threads ? Number(threads[1]) : 0 };
}

/** Child process ids of every thread of `pid` (needs CONFIG_PROC_CHILDREN; empty otherwise). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tasks) {
    try {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (text) for (const child of text.split(/\s+/)) out.push(Number(child));
    } catch {
      // thread exited meanwhile
    }
  }
  return out;
}

export interface TreeMemory {
  /** The process itself (worker threads included: they share its address space). */
  main: ProcessMemory;
  /** Child processes, recursively; their RSS is added to `totalRssMiB`. */
  children: { pid: number; memory: ProcessMemory }[];
  totalRssMiB: number;
}

/** Memory of a process and all its descendant processes, or null once it has exited. */
export function treeMemory(pid: number): TreeMemory | null {
  const main = readStatus(pid);
  if (!main) return null;
  const children: TreeMemory['children'] = [];
  const pending = childrenOf(pid);
  const seen = new Set<number>([pid]);
  while (pending.length > 0) {
    const child = pending.pop()!;
    if (seen.has(child)) continue;
    seen.add(child);
    const memory = readStatus(child);
    if (!memory) continue;
    children.push({ pid: child, memory });
    pending.push(...childrenOf(child));
  }
  return { main, children, totalRssMiB: main.rssMiB + children.reduce((s, c) => s + c.memory.rssMiB, 0) };
}

/**
 * Polls a process tree's memory until stopped. Polling can miss a short spike; the kernel's
 * VmHWM of the main process cannot, so the peak reported is the larger of the two.
 */
export class MemorySampler {
  readonly samples: { at: number; totalRssMiB: number; threads: number }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private last: TreeMemory | null = null;
  private peakChildrenMiB = 0;

  constructor(
    private readonly pid: number,
    private readonly intervalMs = 50,
  ) {}

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    return this;
  }

  sample(): TreeMemory | null {
    const now = treeMemory(this.pid);
    if (now) {
      this.last = now;
      const childRss = now.totalRssMiB - now.main.rssMiB;
      if (childRss > this.peakChildrenMiB) this.peakChildrenMiB = childRss;
      this.samples.push({ at: performance.now(), totalRssMiB: now.totalRssMiB, threads: now.main.threads });
    }
    return now;
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }

  /** RSS totals polled over `sampleMs`, after letting the process settle for `settleMs`. */
  async idle(settleMs: number, sampleMs: number): Promise<number[]> {
    await sleep(settleMs);
    const from = this.samples.length;
    await sleep(sampleMs);
    return this.samples.slice(from).map((s) => s.totalRssMiB);
  }

  /**
   * Runs `work` and returns its peak: the largest total polled meanwhile, or — when the
   * kernel's high-water mark rose during the work — that mark plus the children's RSS.
   */
  async during<T>(work: () => Promise<T>): Promise<{ value: T; peakMiB: number }> {
    const before = this.sample();
    const from = this.samples.length - 1;
    const value = await work();
    const after = this.sample();
    const polled = this.samples.slice(Math.max(0, from)).reduce((m, s) => Math.max(m, s.totalRssMiB), 0);
    const rose = after && before && after.main.hwmMiB > before.main.hwmMiB;
    const viaHwm = rose ? after.main.hwmMiB + (after.totalRssMiB - after.main.rssMiB) : 0;
    return { value, peakMiB: Math.max(polled, viaHwm) };
  }

  get latest(): TreeMemory | null {
    return this.last;
  }

  /** Peak of the sampled totals, or the main process' high-water mark plus the children's sampled peak. */
  get peakMiB(): number {
    const sampled = this.samples.reduce((m, s) => Math.max(m, s.totalRssMiB), 0);
    const hwm = (this.last?.main.hwmMiB ?? 0) + this.peakChildrenMiB;
    return Math.max(sampled, hwm);
  }

  get maxThreads(): number {
    return this.samples.reduce((m, s) => Math.max(m, s.threads), 0);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
