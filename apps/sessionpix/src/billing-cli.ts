import { hostname, userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '@sessionpix/config';
import { BILLING_RPC } from '@sessionpix/contracts';
import { createRedis, RpcClient, RpcRemoteError, RpcTimeoutError } from '@sessionpix/queue';

const USAGE = `usage: npm run billing -- <command> [options]

  report --from <date> --to <date> [--csv | --json]
                          the reconciliation report for the period: events received vs listed by
                          Stripe, failed, ignored and unknown-org events, open drift, invoices paid
                          in Stripe but not here, refunds and disputes (matched or not), totals per
                          currency. A table by default; --csv for the billing team's spreadsheet.
                          Dates are ISO-8601 (2026-11-01 or 2026-11-01T00:00:00Z).
  replay <event id>       fetch one event (evt_…) from Stripe again and apply it now
  resync <org id>         compare one org with Stripe and heal what differs

The billing service does the work (it alone holds the Stripe key); this asks it over Redis, so
run it where REDIS_URL and QUEUE_PREFIX reach the billing service. Every command is audited.`;

class UsageError extends Error {}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function date(value: string | undefined, name: string): Date {
  if (!value) throw new UsageError(`--${name} is required`);
  const at = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(at.getTime())) throw new UsageError(`--${name} must be an ISO-8601 date or date-time`);
  return at;
}

function actor(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (a container's numeric user)
  }
  return `billing CLI (${user}@${hostname()})`.slice(0, 200);
}

async function run(rpc: RpcClient, command: string, positionals: string[], flags: Record<string, string | boolean | undefined>): Promise<string> {
  switch (command) {
    case 'report': {
      const from = date(flags.from as string | undefined, 'from');
      const to = date(flags.to as string | undefined, 'to');
      if (!(from < to)) throw new UsageError('--to must be after --from');
      const answer = await rpc.call('billing', BILLING_RPC.report, { from: from.toISOString(), to: to.toISOString(), actor: actor() });
      if (flags.csv) return answer.csv;
      if (flags.json) return `${JSON.stringify(answer.report)}\n`;
      return answer.table;
    }
    case 'replay': {
      const eventId = positionals[0];
      if (!eventId || !/^evt_[A-Za-z0-9_]+$/.test(eventId)) throw new UsageError('replay takes a Stripe event id (evt_…)');
      return `${JSON.stringify(await rpc.call('billing', BILLING_RPC.replayEvent, { eventId, actor: actor() }))}\n`;
    }
    case 'resync': {
      const orgId = positionals[0];
      if (!orgId || !UUID.test(orgId)) throw new UsageError('resync takes an organization id (a UUID)');
      return `${JSON.stringify(await rpc.call('billing', BILLING_RPC.resyncOrg, { orgId: orgId.toLowerCase(), actor: actor() }))}\n`;
    }
    default:
      throw new UsageError(command ? `unknown command ${command}` : 'name a command');
  }
}

async function main(): Promise<number> {
  const [command, ...rest] = process.argv.slice(2);
  if (!command || command === 'help' || command === '--help') {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      options: { from: { type: 'string' }, to: { type: 'string' }, csv: { type: 'boolean' }, json: { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const config = loadConfig(process.env, { services: [] });
  const redis = createRedis(config.REDIS_URL, 'sessionpix:billing-cli');
  const rpc = new RpcClient(redis, config);
  try {
    process.stdout.write(await run(rpc, command, parsed.positionals, parsed.values));
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    if (err instanceof RpcTimeoutError) {
      process.stderr.write(`${err.message}: is the billing service running with this REDIS_URL and QUEUE_PREFIX?\n`);
      return 1;
    }
    if (err instanceof RpcRemoteError) {
      process.stderr.write(`billing refused (${err.code}): ${err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    await rpc.onApplicationShutdown();
    await redis.quit().catch(() => redis.disconnect());
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof ConfigError ? err.message : `billing failed: ${String(err)}`}\n`);
    process.exit(1);
  },
);
