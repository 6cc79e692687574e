import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const REPO_ROOT = resolve(__dirname, '..', '..', '..', '..');
const IMAGE_SRC = resolve(__dirname, '..', '..', 'src', 'image');

export interface WorkerBuild {
  workerFile: string;
  /**
   * Wraps the real worker: inputs starting with CRASH / THROW / HANG! misbehave on purpose;
   * TID?? fails with the thread's id as the message.
   */
  misbehavingWorkerFile: string;
  cleanup(): void;
}

/**
 * Worker threads need JavaScript, and vitest only transforms TypeScript for its own module
 * graph. So the image folder alone is compiled with tsc into a scratch directory inside the
 * package (so `sharp` and `heic-decode` resolve from node_modules as in production).
 */
export function buildImageWorker(): WorkerBuild {
  const outDir = mkdtempSync(join(__dirname, '..', '.worker-build-'));
  const tsc = createRequire(join(REPO_ROOT, 'package.json')).resolve('typescript/bin/tsc');
  const files = readdirSync(IMAGE_SRC)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(IMAGE_SRC, f));
  try {
    execFileSync(
      process.execPath,
      [
        tsc,
        '--outDir', outDir,
        '--rootDir', IMAGE_SRC,
        '--module', 'commonjs',
        '--moduleResolution', 'node10',
        '--target', 'es2022',
        '--lib', 'es2023',
        '--types', 'node',
        '--esModuleInterop',
        '--strict',
        '--skipLibCheck',
        ...files,
      ],
      { cwd: REPO_ROOT, stdio: 'pipe' },
    );
  } catch (err) {
    rmSync(outDir, { recursive: true, force: true });
    const out = err as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`tsc failed for the image worker:\n${out.stdout?.toString() ?? ''}${out.stderr?.toString() ?? ''}`);
  }

  const misbehavingWorkerFile = join(outDir, 'misbehaving.worker.js');
  writeFileSync(
    misbehavingWorkerFile,
    `'use strict';
const { parentPort, threadId } = require('node:worker_threads');
// Registered before the real worker's listener, so it sees each job first.
parentPort.on('message', (job) => {
  const head = Buffer.from(job.input.buffer, job.input.byteOffset, Math.min(5, job.input.byteLength)).toString('latin1');
  if (head === 'CRASH') process.exit(13);
  if (head === 'THROW') throw new Error('deliberate failure inside the worker thread');
  if (head === 'HANG!') for (;;) {}
  // Answered first; the real worker's later rejection of these bytes is ignored by the pool.
  if (head === 'TID??') {
    const error = { kind: 'error', name: 'Error', message: 'thread ' + threadId };
    parentPort.postMessage({ type: 'failed', id: job.id, error, retire: false });
  }
});
require('./processor.worker.js');
`,
  );
  return {
    workerFile: join(outDir, 'processor.worker.js'),
    misbehavingWorkerFile,
    cleanup: () => rmSync(outDir, { recursive: true, force: true }),
  };
}
