import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * A small benchmark framework: suites record rows, every row pairs a measured figure with a
 * baseline measured in the same run, and the runner prints a table and writes JSON.
 */

/** Which direction is good for a metric. */
export type Better = 'lower' | 'higher';

export interface Stats {
  n: number;
  median: number;
  /**
   * The tail a reader worries about: the 90th percentile for lower-is-better metrics (latency,
   * memory) and the 10th percentile for higher-is-better ones (throughput) — the value 90 % of
   * the runs did at least as well as.
   */
  tail: number;
  min: number;
  max: number;
  mean: number;
  samples: number[];
}

export interface Figure {
  /** What was measured, e.g. "gateway multipart upload". */
  label: string;
  stats: Stats;
}

export type Verdict = 'PASS' | 'MISS' | 'INFO';

export interface Target {
  /** `ratio` compares subject/baseline medians; `absolute` compares the subject's median. */
  on: 'ratio' | 'absolute';
  op: '<=' | '>=';
  value: number;
  /** Which statistic of the subject an absolute target judges; the median unless said. */
  stat?: 'median' | 'worst' | 'p99';
}

export interface Row {
  suite: string;
  metric: string;
  unit: string;
  better: Better;
  subject: Figure;
  baseline: Figure;
  /** subject median / baseline median. */
  ratio: number;
  target?: Target;
  verdict: Verdict;
  notes: string[];
}

export interface SuiteOutcome {
  name: string;
  title: string;
  ok: boolean;
  error?: string;
  seconds: number;
  rows: Row[];
  /** Observations without a baseline: kept out of the table, printed under it and kept in JSON. */
  notes: string[];
}

export interface BenchContext {
  /** Warm-up runs before measuring, and measured runs, for each measurement. */
  readonly warmup: number;
  readonly runs: number;
  /** Progress on stderr; the table owns stdout. */
  log(message: string): void;
  /** Runs after the suite, last registered first, whether it succeeded or not. */
  defer(cleanup: () => Promise<void> | void): void;
  /** Add a table row (the verdict is computed from the target). */
  record(row: Omit<Row, 'suite' | 'ratio' | 'verdict' | 'notes'> & { notes?: string[] }): Row;
  /** Add an observation without a baseline. */
  note(text: string): void;
  /** Shared, lazily started fixtures; closed once at the very end of the run. */
  shared<T>(key: string, start: () => Promise<T>, close: (value: T) => Promise<void> | void): Promise<T>;
}

export interface Suite {
  name: string;
  title: string;
  run(ctx: BenchContext): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// statistics

/** Linear-interpolated percentile (0–100) of unsorted values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

export function summarize(values: readonly number[], better: Better): Stats {
  const n = values.length;
  return {
    n,
    median: percentile(values, 50),
    tail: percentile(values, better === 'lower' ? 90 : 10),
    min: n ? Math.min(...values) : Number.NaN,
    max: n ? Math.max(...values) : Number.NaN,
    mean: n ? values.reduce((a, b) => a + b, 0) / n : Number.NaN,
    samples: [...values],
  };
}

/** The worst single run: the largest value when lower is better, the smallest otherwise. */
export function worstOf(stats: Stats, better: Better): number {
  return better === 'lower' ? stats.max : stats.min;
}

export function verdictOf(target: Target | undefined, subject: Stats, better: Better, ratio: number): Verdict {
  if (!target) return 'INFO';
  const value =
    target.on === 'ratio'
      ? ratio
      : target.stat === 'worst'
        ? worstOf(subject, better)
        : target.stat === 'p99'
          ? percentile(subject.samples, better === 'lower' ? 99 : 1)
          : subject.median;
  if (!Number.isFinite(value)) return 'MISS';
  return (target.op === '<=' ? value <= target.value : value >= target.value) ? 'PASS' : 'MISS';
}

// ---------------------------------------------------------------------------------------------
// measuring

export interface PairedSamples {
  subject: number[];
  baseline: number[];
}

/**
 * Runs subject and baseline alternately (A B, B A, A B …) so drift on a noisy machine hits
 * both sides alike. Each call returns one sample (any unit); warm-up rounds are discarded.
 */
export async function interleaved(
  ctx: Pick<BenchContext, 'warmup' | 'runs' | 'log'>,
  what: string,
  subject: (round: number) => Promise<number>,
  baseline: (round: number) => Promise<number>,
  opts: { warmup?: number; runs?: number } = {},
): Promise<PairedSamples> {
  const warmup = opts.warmup ?? ctx.warmup;
  const runs = opts.runs ?? ctx.runs;
  const out: PairedSamples = { subject: [], baseline: [] };
  for (let round = 0; round < warmup + runs; round++) {
    const measured = round >= warmup;
    const order = round % 2 === 0 ? (['s', 'b'] as const) : (['b', 's'] as const);
    for (const side of order) {
      settleHeap();
      const value = side === 's' ? await subject(round) : await baseline(round);
      if (measured) (side === 's' ? out.subject : out.baseline).push(value);
    }
    ctx.log(`  ${what}: ${measured ? `run ${round - warmup + 1}/${runs}` : `warm-up ${round + 1}/${warmup}`} done`);
  }
  return out;
}

let collect: (() => void) | undefined;

/**
 * A full garbage collection, outside any timed section, so one side does not pay for the
 * garbage the other left behind (pixel buffers are large external allocations).
 */
export function settleHeap(): void {
  if (!collect) {
    // Without --expose-gc on the command line: turn the flag on, then fetch gc from a new context.
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  collect();
}

/** Milliseconds taken by `fn`. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** Runs `tasks` with at most `concurrency` in flight; resolves when all are done. */
export async function withConcurrency<T>(
  items: readonly T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      await task(items[index], index);
    }
  });
  await Promise.all(lanes);
}

// ---------------------------------------------------------------------------------------------
// formatting

export function fmt(value: number, unit = ''): string {
  if (!Number.isFinite(value)) return '—';
  const abs = Math.abs(value);
  const digits = abs >= 1000 ? 0 : abs >= 100 ? 1 : abs >= 10 ? 1 : 2;
  return `${value.toFixed(digits)}${unit ? ` ${unit}` : ''}`;
}

export function fmtTarget(target: Target | undefined): string {
  if (!target) return '—';
  const op = target.op === '<=' ? '≤' : '≥';
  if (target.on === 'ratio') return `ratio ${op} ${target.value}`;
  return `${target.stat === 'worst' ? 'worst ' : target.stat === 'p99' ? 'p99 ' : ''}${op} ${target.value}`;
}

function pad(text: string, width: number, right = false): string {
  const len = [...text].length;
  if (len >= width) return text;
  return right ? ' '.repeat(width - len) + text : text + ' '.repeat(width - len);
}

/**
 * A plain-text table, numeric columns right-aligned. A row may carry a detail line, printed
 * under it across the whole width (what exactly was measured on each side).
 */
export function renderTable(
  headers: string[],
  rows: { cells: string[]; detail?: string }[],
  rightAligned: ReadonlySet<number>,
): string {
  const widths = headers.map((h, i) => Math.max([...h].length, ...rows.map((r) => [...(r.cells[i] ?? '')].length)));
  const line = (cells: string[]) => cells.map((c, i) => pad(c, widths[i], rightAligned.has(i))).join('  ').trimEnd();
  const rule = widths.map((w) => '─'.repeat(w)).join('  ');
  const out = [line(headers), rule];
  for (const row of rows) {
    out.push(line(row.cells));
    if (row.detail) out.push(`    ${row.detail}`);
  }
  return out.join('\n');
}

export function renderRows(rows: readonly Row[]): string {
  const headers = ['suite', 'metric', 'unit', 'n', 'median', 'tail', 'worst', 'baseline', 'b.tail', 'ratio', 'target', 'result'];
  const body = rows.map((r) => ({
    cells: [
      r.suite,
      r.metric,
      r.unit,
      String(r.subject.stats.n),
      fmt(r.subject.stats.median),
      fmt(r.subject.stats.tail),
      fmt(worstOf(r.subject.stats, r.better)),
      fmt(r.baseline.stats.median),
      fmt(r.baseline.stats.tail),
      Number.isFinite(r.ratio) ? `${r.ratio.toFixed(2)}×` : '—',
      fmtTarget(r.target),
      r.verdict,
    ],
    detail: `${r.subject.label}  vs  ${r.baseline.label}`,
  }));
  return renderTable(headers, body, new Set([3, 4, 5, 6, 7, 8, 9]));
}
