import type { AppConfig } from '@sessionpix/config';
import { type RunningProcess, type ServiceDefinition, startProcess } from '@sessionpix/runtime';
import type { DestinationStream } from 'pino';

/** Starts services in this test process (no signal handlers; the test closes it). */
export function startTestProcess(
  config: AppConfig,
  available: readonly ServiceDefinition[],
  logDestination?: DestinationStream,
): Promise<RunningProcess> {
  return startProcess({ config, available, handleSignals: false, logDestination });
}

/** Polls until `probe` returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A log destination that keeps every line, to assert what was (not) logged. */
export function captureLogs(): DestinationStream & { lines: string[] } {
  const lines: string[] = [];
  return { lines, write: (line: string) => void lines.push(line) };
}
