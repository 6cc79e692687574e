import { startConverseStandin, type ConverseStandin } from './server';

/**
 * Starts the stand-in for a laptop or a benchmark: port from argv[0], else
 * CONVERSE_STANDIN_PORT, else a free one; CONVERSE_STANDIN_DELAY_MS adds latency to every
 * answer. Prints the URL to use as AWS_ENDPOINT_URL_BEDROCK_RUNTIME.
 */
export async function main(
  argv: string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
): Promise<ConverseStandin> {
  const raw = argv[0] ?? env.CONVERSE_STANDIN_PORT ?? '0';
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`converse stand-in: port must be an integer 0..65535, got "${raw}"`);
  }
  const delayMs = Number(env.CONVERSE_STANDIN_DELAY_MS ?? 0);
  if (!Number.isFinite(delayMs) || delayMs < 0) {
    throw new Error(`converse stand-in: CONVERSE_STANDIN_DELAY_MS must be a non-negative number`);
  }
  const standin = await startConverseStandin({ port, host: env.CONVERSE_STANDIN_HOST, delayMs });
  process.stdout.write(`${standin.url}\n`);
  return standin;
}

// Guarded: under a test runner's ESM transform `require` may be absent.
if (typeof require !== 'undefined' && require.main === module) {
  main().then(
    (standin) => {
      const stop = (): void => void standin.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (err: Error) => {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    },
  );
}
