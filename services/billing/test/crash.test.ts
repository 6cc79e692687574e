import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { billingService } from '@sessionpix/billing';
import type { RunningProcess } from '@sessionpix/runtime';
import { eventually, startTestProcess, testConfig } from '@sessionpix/testing';
import { type BillingStack, startBillingStack } from './support';

const MAIN_JS = join(__dirname, '..', '..', '..', 'apps', 'sessionpix', 'dist', 'main.js');

/**
 * A billing worker killed while applying an event (SIGKILL: no shutdown hook runs): its
 * transaction never commits, its job's lock runs out, and another worker takes the job over and
 * applies the event, once.
 */
describe('billing: a worker crash mid-event', () => {
  let stack: BillingStack;
  let child: ChildProcess | undefined;
  let replacement: RunningProcess | undefined;

  beforeAll(async () => {
    // Short locks, so another worker takes a dead worker's job over quickly.
    stack = await startBillingStack('billcrash', { QUEUE_LOCK_DURATION_MS: '2000' });
  });

  afterAll(async () => {
    child?.kill('SIGKILL');
    await replacement?.close();
    await stack?.close();
  });

  async function startChild(): Promise<ChildProcess> {
    const proc = spawn(process.execPath, [MAIN_JS], {
      env: { ...process.env, ...stack.billingConfigEnv, NODE_ENV: 'test', LOG_LEVEL: 'warn', OPS_PORT: '0', SESSIONPIX_SERVICES: 'billing' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    proc.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    await eventually(async () => (output.includes('sessionpix started') ? true : undefined), 20_000, `the billing child to start: ${output}`);
    return proc;
  }

  it('handler crash then redelivery: nothing half-written, then applied by the next worker', async () => {
    const { orgId, ownerId } = await stack.newOrg();
    const { subscriptionId } = await stack.subscribe(orgId, ownerId);
    // From now on the only billing worker is a child process.
    await stack.billing.close();
    child = await startChild();

    // Its re-fetch from Stripe hangs, so it is inside the event when it dies.
    stack.fake.setLatency(60_000);
    stack.fake.setDelivery(false);
    await stack.fake.cancel(subscriptionId);
    stack.fake.setDelivery(true);
    const event = stack.fake.lastEvent('customer.subscription.deleted');
    expect((await stack.fake.deliver(event)).status).toBe(200);
    await eventually(async () => (stack.fake.inFlight > 0 ? true : undefined), 20_000, 'the worker to call Stripe');
    child.kill('SIGKILL');
    await new Promise((resolve) => child!.once('exit', resolve));
    stack.fake.setLatency(0);

    // Nothing of the interrupted attempt was committed.
    const [sub] = await stack.sql(`select status from billing_subscription where stripe_subscription_id = $1`, [subscriptionId]);
    expect(sub.status).toBe('active');
    expect(await stack.account(orgId)).toMatchObject({ access: 'full' });
    expect((await stack.ledger(event.id as string))?.status).toBe('received');

    replacement = await startTestProcess(testConfig({ ...stack.billingConfigEnv, SESSIONPIX_SERVICES: 'billing' }), [billingService]);
    await stack.settled(30_000);
    expect(await stack.ledger(event.id as string)).toMatchObject({ status: 'applied', org_id: orgId });
    expect(await stack.account(orgId)).toMatchObject({ access: 'revoked', plan_id: null });
    const [sub2] = await stack.sql(`select status from billing_subscription where stripe_subscription_id = $1`, [subscriptionId]);
    expect(sub2.status).toBe('canceled');
  });
});
