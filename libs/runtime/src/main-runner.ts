import { ConfigError, loadConfig } from '@sessionpix/config';
import type { ServiceName } from '@sessionpix/contracts';
import { startProcess } from './start-process';
import type { ServiceDefinition } from './service-definition';

/**
 * The body of every `main.ts`: validate configuration (exit 1 naming the variable), start
 * the chosen services, and let SIGTERM drain them.
 */
export async function runMain(
  available: readonly ServiceDefinition[] | ((names: readonly ServiceName[]) => readonly ServiceDefinition[]),
  defaults: Record<string, string> = {},
): Promise<void> {
  let config;
  try {
    config = loadConfig({ ...defaults, ...process.env });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  try {
    const services = typeof available === 'function' ? available(config.SESSIONPIX_SERVICES) : available;
    const running = await startProcess({ config, available: services });
    process.stdout.write(
      JSON.stringify({
        msg: 'sessionpix started',
        services: config.SESSIONPIX_SERVICES,
        http: running.httpUrl ?? null,
        ops: running.opsUrl,
      }) + '\n',
    );
  } catch (err) {
    process.stderr.write(`sessionpix failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
