/**
 * Runs the fake Stripe until SIGINT/SIGTERM, for `npm start` and docker compose. Prints one
 * JSON line (url, pid). Environment: FAKE_STRIPE_HOST (default 127.0.0.1; 0.0.0.0 in a container
 * whose port is published), FAKE_STRIPE_PORT (default 12111), FAKE_STRIPE_API_KEY
 * (accept only this key; default any sk_test_…), FAKE_STRIPE_WEBHOOK_URL and
 * FAKE_STRIPE_WEBHOOK_SECRET (deliver signed events there), BILLING_PLANS (prices for its plans).
 */
import { DEFAULT_BILLING_PLANS, type PlanDefinition } from '@sessionpix/contracts';
import { seedPricesFor } from './prices';
import { startFakeStripe } from './server';

function plans(): readonly PlanDefinition[] {
  const raw = process.env.BILLING_PLANS;
  return raw ? (JSON.parse(raw) as PlanDefinition[]) : DEFAULT_BILLING_PLANS;
}

const url = process.env.FAKE_STRIPE_WEBHOOK_URL;
const secret = process.env.FAKE_STRIPE_WEBHOOK_SECRET;
startFakeStripe({
  port: Number(process.env.FAKE_STRIPE_PORT ?? 12111),
  host: process.env.FAKE_STRIPE_HOST || undefined,
  apiKey: process.env.FAKE_STRIPE_API_KEY || undefined,
  webhook: url && secret ? { url, secret } : undefined,
  prices: seedPricesFor(plans()),
}).then(
  (fake) => {
    process.stdout.write(JSON.stringify({ url: fake.url, pid: process.pid }) + '\n');
    const stop = () => void fake.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  },
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
