import { fork, type ChildProcess } from 'node:child_process';

/** One e-mail as aws-ses-v2-local keeps it (GET /store). */
export interface StoredEmail {
  messageId: string;
  from: string;
  replyTo: string[];
  destination: { to: string[]; cc: string[]; bcc: string[] };
  subject: string;
  body: { html?: string; text?: string };
  headers?: { name: string; value: string }[];
  /** Epoch seconds. */
  at: number;
}

export interface SesStandinOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Loopback unless a caller needs otherwise. */
  host?: string;
  startTimeoutMs?: number;
}

export interface SesStandin {
  /** For AWS_ENDPOINT_URL_SESV2. */
  endpoint: string;
  port: number;
  pid: number;
  /** Where a person reads the mail (the stand-in's web viewer). */
  viewerUrl: string;
  /** Every e-mail the stand-in has received (`since`: epoch seconds). */
  emails(since?: number): Promise<StoredEmail[]>;
  clear(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Hosts aws-ses-v2-local in the child: started through its module (not its CLI) so that the
 * port it really listens on comes back, and so the child exits with its parent (the IPC
 * channel closes even when the parent is SIGKILLed).
 */
const SES_CHILD_SCRIPT = `
'use strict';
const start = require(process.env.SPX_SES_MODULE).default;
const cfg = JSON.parse(process.env.SPX_SES_CONFIG);
process.on('disconnect', () => process.exit(0));
start({ host: cfg.host, port: cfg.port }).then(
  (server) => process.send({ type: 'ready', port: server.address().port }),
  (err) => process.send({ type: 'failed', message: String((err && err.stack) || err) }, () => process.exit(1)),
);
`;

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/**
 * Starts the SES v2 stand-in (aws-ses-v2-local) in a child process, on loopback. The real
 * `@aws-sdk/client-sesv2` reaches it through AWS_ENDPOINT_URL_SESV2; it accepts any address
 * and any signature (but wants one), and keeps every e-mail in memory, readable at GET /store.
 */
export async function startSesStandin(options: SesStandinOptions = {}): Promise<SesStandin> {
  const host = options.host ?? '127.0.0.1';
  const child = fork('-e', [SES_CHILD_SCRIPT], {
    execPath: process.execPath,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: {
      ...process.env,
      SPX_SES_MODULE: require.resolve('aws-ses-v2-local'),
      SPX_SES_CONFIG: JSON.stringify({ host, port: options.port ?? 0 }),
    },
  });
  live.add(child);
  installExitHook();
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  void exited.then(() => live.delete(child));

  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      const timeoutMs = options.startTimeoutMs ?? 15_000;
      const timer = setTimeout(() => reject(new Error(`aws-ses-v2-local did not start within ${timeoutMs} ms`)), timeoutMs);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`aws-ses-v2-local exited during start-up (code ${code}, signal ${signal})`));
      });
      child.once('message', (raw) => {
        clearTimeout(timer);
        const msg = raw as { type: 'ready'; port: number } | { type: 'failed'; message: string };
        if (msg.type === 'ready') resolve(msg.port);
        else reject(new Error(`aws-ses-v2-local failed to start: ${msg.message}`));
      });
    });
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    throw err;
  }
  child.unref();
  child.channel?.unref();

  const endpoint = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    endpoint,
    port,
    pid: child.pid!,
    viewerUrl: `${endpoint}/`,
    async emails(since?: number) {
      const res = await fetch(`${endpoint}/store${since !== undefined ? `?since=${Math.floor(since)}` : ''}`);
      if (!res.ok) throw new Error(`GET /store answered ${res.status}`);
      return ((await res.json()) as { emails: StoredEmail[] }).emails;
    },
    async clear() {
      const res = await fetch(`${endpoint}/clear-store`, { method: 'POST' });
      await res.arrayBuffer();
    },
    close() {
      closing ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
        await exited;
        clearTimeout(timer);
      })();
      return closing;
    },
  };
}

/** A header of a stored e-mail, by name (case-insensitive). */
export function headerOf(email: StoredEmail, name: string): string | undefined {
  return email.headers?.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value;
}
