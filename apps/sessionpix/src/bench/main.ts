import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { resolve } from 'node:path';
import sharp from 'sharp';
import {
  type BenchContext,
  fmt,
  renderRows,
  type Row,
  type Suite,
  type SuiteOutcome,
  verdictOf,
} from './framework';
import { SUITES } from './suites';

const USAGE = `usage: node apps/sessionpix/dist/bench/main.js [--only <suite>[,<suite>…]] [--runs N] [--warmup N] [--out FILE] [--strict] [--list]

  --only     run only these suites (repeatable; default: all)
  --runs     measured runs per measurement (default 7, or BENCH_RUNS)
  --warmup   discarded warm-up runs per measurement (default 1, or BENCH_WARMUP)
  --out      JSON results file (default bench-results.json in the cwd, or BENCH_OUT)
  --strict   exit 1 when any target is missed (a crashed suite always exits 1)
  --list     list the suites and exit`;

interface Options {
  only: string[];
  runs: number;
  warmup: number;
  out: string;
  strict: boolean;
  list: boolean;
}

function parseArgs(argv: string[]): Options {
  const positiveInt = (name: string, raw: string | undefined, min: number): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer ≥ ${min}, got ${JSON.stringify(raw)}`);
    return n;
  };
  const opts: Options = {
    only: [],
    runs: process.env.BENCH_RUNS ? positiveInt('BENCH_RUNS', process.env.BENCH_RUNS, 1) : 7,
    warmup: process.env.BENCH_WARMUP ? positiveInt('BENCH_WARMUP', process.env.BENCH_WARMUP, 0) : 1,
    out: process.env.BENCH_OUT || 'bench-results.json',
    strict: false,
    list: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--only':
        opts.only.push(...value().split(',').map((s) => s.trim()).filter(Boolean));
        break;
      case '--runs':
        opts.runs = positiveInt('--runs', value(), 1);
        break;
      case '--warmup':
        opts.warmup = positiveInt('--warmup', value(), 0);
        break;
      case '--out':
        opts.out = value();
        break;
      case '--strict':
        opts.strict = true;
        break;
      case '--list':
        opts.list = true;
        break;
      case '--help':
      case '-h':
        process.stdout.write(`${USAGE}\n`);
        process.exit(0);
      // falls through (exit never returns)
      default:
        throw new Error(`unknown argument ${arg}\n${USAGE}`);
    }
  }
  return opts;
}

function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

function commit(): string | null {
  try {
    // Read-only; run in the repository (dist/bench → repo root), whatever the cwd.
    return execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], {
      cwd: resolve(__dirname, '..', '..', '..', '..'),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return null;
  }
}

/** Fixtures several suites share (the S3 stand-in), started on first use, closed at the end. */
class SharedFixtures {
  private readonly started = new Map<string, Promise<unknown>>();
  private readonly closers: (() => Promise<void> | void)[] = [];

  get<T>(key: string, start: () => Promise<T>, close: (value: T) => Promise<void> | void): Promise<T> {
    let promise = this.started.get(key) as Promise<T> | undefined;
    if (!promise) {
      promise = start();
      this.started.set(key, promise);
      promise.then(
        (value) => this.closers.push(() => close(value)),
        () => this.started.delete(key),
      );
    }
    return promise;
  }

  async closeAll(): Promise<void> {
    for (const close of this.closers.reverse()) {
      await Promise.resolve()
        .then(close)
        .catch((err: unknown) => log(`closing a shared fixture failed: ${String(err)}`));
    }
  }
}

async function runSuite(suite: Suite, opts: Options, shared: SharedFixtures): Promise<SuiteOutcome> {
  const outcome: SuiteOutcome = { name: suite.name, title: suite.title, ok: true, seconds: 0, rows: [], notes: [] };
  const cleanups: (() => Promise<void> | void)[] = [];
  const ctx: BenchContext = {
    warmup: opts.warmup,
    runs: opts.runs,
    log: (m) => log(`${suite.name}: ${m.trimStart()}`),
    defer: (fn) => void cleanups.push(fn),
    record: (row) => {
      const ratio = row.subject.stats.median / row.baseline.stats.median;
      const full: Row = {
        ...row,
        suite: suite.name,
        ratio,
        verdict: verdictOf(row.target, row.subject.stats, row.better, ratio),
        notes: row.notes ?? [],
      };
      outcome.rows.push(full);
      log(`${suite.name}: ${full.metric}: ${fmt(full.subject.stats.median, full.unit)} vs ${fmt(full.baseline.stats.median, full.unit)} → ${ratio.toFixed(2)}× ${full.verdict}`);
      return full;
    },
    note: (text) => void outcome.notes.push(text),
    shared: (key, start, close) => shared.get(key, start, close),
  };
  const started = performance.now();
  log(`── ${suite.name}: ${suite.title}`);
  try {
    await suite.run(ctx);
  } catch (err) {
    outcome.ok = false;
    outcome.error = err instanceof Error ? (err.stack ?? err.message) : String(err);
    log(`${suite.name} FAILED: ${outcome.error}`);
  } finally {
    for (const cleanup of cleanups.reverse()) {
      await Promise.resolve()
        .then(cleanup)
        .catch((err: unknown) => log(`${suite.name}: cleanup failed: ${String(err)}`));
    }
  }
  outcome.seconds = (performance.now() - started) / 1000;
  return outcome;
}

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.list) {
    for (const s of SUITES) process.stdout.write(`${s.name.padEnd(12)} ${s.title}\n`);
    return 0;
  }
  const unknown = opts.only.filter((n) => !SUITES.some((s) => s.name === n));
  if (unknown.length > 0) {
    throw new Error(`unknown suite(s): ${unknown.join(', ')}; known: ${SUITES.map((s) => s.name).join(', ')}`);
  }
  const selected = opts.only.length > 0 ? SUITES.filter((s) => opts.only.includes(s.name)) : [...SUITES];

  const startedAt = new Date();
  const loadBefore = loadavg();
  const shared = new SharedFixtures();
  const outcomes: SuiteOutcome[] = [];
  try {
    for (const suite of selected) outcomes.push(await runSuite(suite, opts, shared));
  } finally {
    await shared.closeAll();
  }
  const finishedAt = new Date();
  const loadAfter = loadavg();

  const rows = outcomes.flatMap((o) => o.rows);
  const count = (v: Row['verdict']) => rows.filter((r) => r.verdict === v).length;
  const failed = outcomes.filter((o) => !o.ok).map((o) => o.name);
  const seconds = (finishedAt.getTime() - startedAt.getTime()) / 1000;
  const environment = {
    node: process.version,
    platform: `${process.platform}/${process.arch}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    totalMemMiB: Math.round(totalmem() / 2 ** 20),
    loadavgBefore: loadBefore.map((l) => Math.round(l * 100) / 100),
    loadavgAfter: loadAfter.map((l) => Math.round(l * 100) / 100),
    commit: commit(),
    sharp: sharp.versions.sharp,
    libvips: sharp.versions.vips,
  };

  const out = resolve(opts.out);
  const json = {
    schema: 'sessionpix-bench/1',
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    seconds,
    environment,
    settings: { warmup: opts.warmup, runs: opts.runs, only: opts.only },
    summary: { pass: count('PASS'), miss: count('MISS'), info: count('INFO'), failedSuites: failed },
    suites: outcomes,
  };
  writeFileSync(out, `${JSON.stringify(json, null, 2)}\n`);

  const lines = [
    '',
    `sessionpix bench — ${startedAt.toISOString()} — ${environment.commit ?? 'no commit'} — node ${environment.node}, ` +
      `${environment.cpus} CPU, load ${environment.loadavgBefore.join(' ')} → ${environment.loadavgAfter.join(' ')}`,
    `each figure: ${opts.warmup} warm-up + ${opts.runs} runs unless noted, subject and baseline interleaved; n = samples; ` +
      `tail = p90 (p10 for throughput), worst = worst single sample; ratio = median ÷ baseline median`,
    '',
    rows.length > 0 ? renderRows(rows) : '(no rows)',
    '',
  ];
  const notes = outcomes.flatMap((o) => [...o.notes, ...o.rows.flatMap((r) => r.notes.map((n) => `${o.name}: ${r.metric}: ${n}`))]);
  if (notes.length > 0) lines.push('notes:', ...notes.map((n) => `  - ${n}`), '');
  for (const o of outcomes.filter((x) => !x.ok)) lines.push(`FAILED ${o.name}: ${o.error?.split('\n')[0]}`);
  lines.push(
    `${count('PASS')} pass, ${count('MISS')} miss, ${count('INFO')} info${failed.length ? `, ${failed.length} suite(s) failed` : ''}` +
      ` — ${seconds.toFixed(0)} s — results in ${out}`,
    '',
  );
  process.stdout.write(lines.join('\n'));

  if (failed.length > 0) return 1;
  if (opts.strict && count('MISS') > 0) return 1;
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  },
);
