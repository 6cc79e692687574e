import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The container entry point, as a pod runs it. */
const MAIN_JS = join(__dirname, '..', 'main.js');
const DOCKERFILE = join(__dirname, '..', '..', '..', '..', 'deploy', 'Dockerfile');
/** Environment the image sets for its processes' allocators (glibc, V8); sessionpix does not read it. */
const TUNING = ['MALLOC_ARENA_MAX', 'MALLOC_MMAP_THRESHOLD_', 'NODE_OPTIONS'];
const READY_WITHIN_MS = 60_000;
const STOP_GRACE_MS = 15_000;

export interface ServiceProcess {
  child: ChildProcess;
  /** Resolves once /readyz answers 200 (workers running, HTTP listening). */
  ready: Promise<void>;
  /** The public HTTP address, once started (gateway processes only). */
  httpUrl(): string | undefined;
  /** The last lines the process printed. */
  output(): string;
  exited(): boolean;
  stop(): Promise<void>;
}

/**
 * A sessionpix process started from the container entry point with `env`, as a deployment runs
 * it: its own event loop and heap, so what a suite measures is not shared with the bench's client.
 */
export function startServiceProcess(env: NodeJS.ProcessEnv): ServiceProcess {
  const child = spawn(process.execPath, [MAIN_JS], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let started: { http: string | null; ops: string } | undefined;
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code) => {
      exitCode = code;
      resolve();
    }),
  );
  let buffered = '';
  const keep = (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      if (lines.length > 200) lines.shift();
      if (!started && line.includes('"sessionpix started"')) {
        try {
          started = JSON.parse(line) as { http: string | null; ops: string };
        } catch {
          // not the start line after all
        }
      }
    }
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);

  const ready = (async () => {
    const deadline = Date.now() + READY_WITHIN_MS;
    for (;;) {
      if (exitCode !== undefined) throw new Error(`the sessionpix process exited (code ${exitCode}):\n${lines.join('\n')}`);
      if (Date.now() > deadline) throw new Error(`the sessionpix process was not ready within 60 s:\n${lines.join('\n')}`);
      if (started) {
        const answer = await fetch(`${started.ops}/readyz`).catch(() => undefined);
        if (answer?.status === 200) return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();

  return {
    child,
    ready,
    httpUrl: () => started?.http ?? undefined,
    output: () => lines.join('\n'),
    exited: () => exitCode !== undefined,
    async stop() {
      if (exitCode !== undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** TUNING as the runtime stage of deploy/Dockerfile sets it: a process measured here runs as in the image. */
export function containerTuning(): Record<string, string> {
  const dockerfile = readFileSync(DOCKERFILE, 'utf8');
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const env: Record<string, string> = {};
  for (const [, name, value] of runtime.matchAll(/\b([A-Z][A-Z0-9_]*)=(\S+)/g)) {
    if (TUNING.includes(name)) env[name] = value;
  }
  const missing = TUNING.filter((name) => !(name in env));
  if (missing.length > 0) throw new Error(`${DOCKERFILE} no longer sets ${missing.join(', ')}: update the bench`);
  return env;
}
