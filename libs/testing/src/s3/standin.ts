import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';

import { S3RVER_CHILD_SCRIPT } from './child-script';

export interface S3StandinOptions {
  /** Where objects are kept; reusing the directory across restarts keeps the data. */
  dataDir: string;
  /** 0 (the default) picks a free port; the one chosen is reported back. */
  port?: number;
  /** Created at start-up when missing. */
  bucket: string;
  /** Interface to bind; loopback unless a caller needs otherwise. */
  address?: string;
  /** How long to wait for the server to listen. */
  startTimeoutMs?: number;
}

export interface S3Standin {
  /** Base URL for `S3Client({ endpoint, forcePathStyle: true })`. */
  endpoint: string;
  port: number;
  bucket: string;
  /** Of the child process hosting s3rver. */
  pid: number;
  /** s3rver accepts only this key pair; any signature is accepted for SigV4. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  close(): Promise<void>;
}

/** s3rver's one built-in account. */
export const S3RVER_CREDENTIALS = Object.freeze({ accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });

type ChildMessage = { type: 'ready'; port: number } | { type: 'failed'; message: string };

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

// Belt and braces next to the child's own IPC watchdog: a normal exit kills synchronously.
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/**
 * Starts s3rver in a child process.
 *
 * Why a child: on Node 20 (OpenSSL 3) s3rver's ListObjectsV2 continuation tokens use DES,
 * which only the legacy provider offers. In-process, every truncated listing fails with a 500,
 * so pagination (and therefore `deletePrefix`) could not be tested. The flag cannot be turned
 * on at runtime, so the server runs under `node --openssl-legacy-provider`.
 */
export async function startS3Standin(options: S3StandinOptions): Promise<S3Standin> {
  const directory = resolve(options.dataDir);
  mkdirSync(directory, { recursive: true });
  const address = options.address ?? '127.0.0.1';

  // fork() gives an IPC channel; `-e` runs the inline script with the legacy provider on.
  const child = fork('-e', [S3RVER_CHILD_SCRIPT], {
    execPath: process.execPath,
    execArgv: ['--openssl-legacy-provider'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: {
      ...process.env,
      SPX_S3RVER_MODULE: require.resolve('s3rver'),
      SPX_S3RVER_CONFIG: JSON.stringify({
        address,
        port: options.port ?? 0,
        directory,
        buckets: [options.bucket],
      }),
    },
  });
  live.add(child);
  installExitHook();
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  void exited.then(() => live.delete(child));

  let port: number;
  try {
    port = await waitForReady(child, options.startTimeoutMs ?? 15_000);
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    throw err;
  }

  // An unclosed stand-in must not keep a test runner alive; the CLI keeps itself alive.
  child.unref();
  child.channel?.unref();

  let closing: Promise<void> | undefined;
  return {
    endpoint: `http://${address.includes(':') ? `[${address}]` : address}:${port}`,
    port,
    bucket: options.bucket,
    pid: child.pid!,
    credentials: { ...S3RVER_CREDENTIALS },
    close() {
      closing ??= stopChild(child, exited);
      return closing;
    },
  };
}

function waitForReady(child: ChildProcess, timeoutMs: number): Promise<number> {
  return new Promise<number>((resolveReady, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`s3rver did not start within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onExit = (code: number | null, signal: string | null) => {
      clearTimeout(timer);
      reject(new Error(`s3rver exited during start-up (code ${code}, signal ${signal})`));
    };
    child.once('exit', onExit);
    child.once('message', (raw) => {
      clearTimeout(timer);
      child.off('exit', onExit);
      const msg = raw as ChildMessage;
      if (msg.type === 'ready') resolveReady(msg.port);
      else reject(new Error(`s3rver failed to start: ${msg.message}`));
    });
  });
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await exited;
  clearTimeout(timer);
}
