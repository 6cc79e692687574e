import { randomBytes } from 'node:crypto';
import { calendarMonthUtc } from '@sessionpix/contracts';
import { emForSystem, Membership, User, uuidv7 } from '@sessionpix/db';
import { JobProducer } from '@sessionpix/queue';
import sharp from 'sharp';
import type { TestOrg } from '../../gateway/test/helpers';
import { type Stack, startStack } from '../../gateway/test/stack';

const DONE = ['paused', 'rejected', 'failed', 'analyzed'];
const PLANS = [
  { id: 'free', name: 'Free', lookupKey: null, photosPerPeriod: 2, members: 3, storageBytes: 1_000_000_000 },
  { id: 'studio', name: 'Studio', lookupKey: 'sessionpix_studio_monthly', photosPerPeriod: 3, members: 10, storageBytes: 10_000_000_000 },
];

function photo(seed: number): Promise<Buffer> {
  return sharp({
    create: { width: 320, height: 240, channels: 3, background: { r: (seed * 37) % 255, g: (seed * 91) % 255, b: 120 }, noise: { type: 'gaussian', mean: 128, sigma: 30 } },
  })
    .jpeg({ quality: 80 })
    .toBuffer();
}

/**
 * The plan's photo quota bites at ingest: one atomic count per analysed photo, never over the
 * limit however many arrive at once; over it the photo is `rejected` (plan_limit) — never
 * dropped — and the owners hear about it once per period; a duplicate that reuses an earlier
 * upload's results is not counted.
 */
describe('ingest: plan quota', () => {
  let stack: Stack;
  let seed = 0;

  beforeAll(async () => {
    stack = await startStack('ingestquota', { BILLING_PLANS: JSON.stringify(PLANS) });
  });

  afterAll(async () => {
    await stack?.close();
  });

  async function orgWithOwner(name: string): Promise<{ org: TestOrg; ownerEmail: string; collection: string }> {
    const org = await stack.newOrg(name);
    const em = emForSystem(stack.orm);
    const ownerEmail = `owner-${randomBytes(4).toString('hex')}@example.com`;
    const user = em.create(User, { email: ownerEmail, name: 'Olive Owner' });
    em.create(Membership, { org: org.orgId, user, role: 'owner' });
    await em.flush();
    return { org, ownerEmail, collection: await stack.newCollection(org) };
  }

  async function upload(org: TestOrg, collection: string, photos: Buffer[]): Promise<string[]> {
    const res = await stack.upload(org, collection, photos.map((bytes, i) => ({ name: `p${i}.jpg`, bytes }))).expect(202);
    return res.body.items.map((i: { id: string }) => i.id);
  }

  const sql = async (text: string, params: unknown[]) => emForSystem(stack.orm).execute<Record<string, unknown>[]>(text, params, 'all');

  it('counts each analysed photo once, never past the limit; over it: rejected with plan_limit, owners told once per period', async () => {
    const { org, ownerEmail, collection } = await orgWithOwner('Quota Rooms');
    const photos = await Promise.all([1, 2, 3, 4, 5].map(() => photo(++seed)));
    // Five at once against a limit of two.
    const ids = await upload(org, collection, photos);
    const items = await Promise.all(ids.map((id) => stack.waitForStatus(org, id, DONE)));
    const rejected = items.filter((i) => i.status === 'rejected');
    expect(items.filter((i) => i.status === 'paused')).toHaveLength(2);
    expect(rejected).toHaveLength(3);
    for (const item of rejected) {
      expect(item).toMatchObject({ reasonCode: 'plan_limit', retryable: false });
      expect(item.reason).toMatch(/Free plan allows 2 photos per period/);
      // Nothing of a rejected upload is kept.
      expect(await stack.itemKeys(org.orgId, item.id)).toEqual([]);
    }
    const [usage] = await sql(`select used, plan_id, period_start from plan_usage where org_id = ?`, [org.orgId]);
    expect(usage).toMatchObject({ used: 2, plan_id: 'free' });
    // The free tier counts the calendar month in UTC.
    expect(new Date(usage.period_start as string).toISOString()).toMatch(/^\d{4}-\d{2}-01T00:00:00\.000Z$/);

    // A duplicate of an analysed photo reuses its results: not counted, not refused.
    const counted = items.find((i) => i.status === 'paused')!;
    const dupeIndex = ids.indexOf(counted.id);
    const [dupe] = await upload(org, collection, [photos[dupeIndex]]);
    expect(await stack.waitForStatus(org, dupe, DONE)).toMatchObject({ status: 'paused', sourceItemId: counted.id });
    // Another new photo is refused too; the owner still has one e-mail for the period.
    const [late] = await upload(org, collection, [await photo(++seed)]);
    expect(await stack.waitForStatus(org, late, DONE)).toMatchObject({ status: 'rejected', reasonCode: 'plan_limit' });
    const [after] = await sql(`select used from plan_usage where org_id = ?`, [org.orgId]);
    expect(after.used).toBe(2);
    const mails = await sql(`select template_id, recipient, data, dedupe_key, category from email_outbox where template_id = 'billing.plan_limit_reached' and recipient = ?`, [ownerEmail]);
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatchObject({ category: 'billing', data: expect.objectContaining({ orgName: 'Quota Rooms', planName: 'Free', limit: 2 }) });
    expect(mails[0].dedupe_key).toContain(org.orgId);
  });

  it('counts against the subscription’s period and plan while the org has paid access', async () => {
    const { org, collection } = await orgWithOwner('Paid Rooms');
    const periodStart = new Date(Date.now() - 24 * 3600_000);
    const periodEnd = new Date(periodStart.getTime() + 30 * 24 * 3600_000);
    await sql(
      `insert into billing_account (id, created_at, updated_at, org_id, access, plan_id, period_start, period_end) values (?, now(), now(), ?, 'full', 'studio', ?, ?)`,
      [uuidv7(), org.orgId, periodStart, periodEnd],
    );
    const ids = await upload(org, collection, await Promise.all([1, 2, 3, 4].map(() => photo(++seed))));
    const items = await Promise.all(ids.map((id) => stack.waitForStatus(org, id, DONE)));
    expect(items.filter((i) => i.status === 'paused')).toHaveLength(3);
    expect(items.filter((i) => i.reasonCode === 'plan_limit')).toHaveLength(1);
    const [usage] = await sql(`select used, plan_id, period_start from plan_usage where org_id = ?`, [org.orgId]);
    expect(usage).toMatchObject({ used: 3, plan_id: 'studio' });
    expect(new Date(usage.period_start as string).getTime()).toBe(periodStart.getTime());
  });

  it('a photo counted before its job died is finished on the retry, not refused for the quota it filled', async () => {
    const { org, collection } = await orgWithOwner('Retry Rooms');
    // The job that counted this photo died before storing anything: the quota is full (2 of 2),
    // and the charge names this photo.
    const { start: month, end: next } = calendarMonthUtc(new Date());
    const ingest = stack.proc.app.get(JobProducer).queue('ingest');
    await ingest.pause();
    const [pending] = await upload(org, collection, [await photo(++seed)]);
    await sql(`insert into plan_usage (org_id, period_start, period_end, plan_id, used, updated_at) values (?, ?, ?, 'free', 2, now())`, [org.orgId, month, next]);
    await sql(`insert into plan_usage_charge (item_id, org_id, period_start, charged_at) values (?, ?, ?, now())`, [pending, org.orgId, month]);
    await ingest.resume();
    expect(await stack.waitForStatus(org, pending, DONE)).toMatchObject({ status: 'paused' });
    const [usage] = await sql(`select used from plan_usage where org_id = ?`, [org.orgId]);
    expect(usage.used).toBe(2);
  });

  it('a photo that cannot be read is rejected for that and does not count', async () => {
    const { org, collection } = await orgWithOwner('Broken Files');
    const [broken] = await upload(org, collection, [Buffer.from('not an image at all, just text')]);
    expect((await stack.waitForStatus(org, broken, DONE)).reasonCode).not.toBe('plan_limit');
    const rows = await sql(`select used from plan_usage where org_id = ?`, [org.orgId]);
    expect(Number(rows[0]?.used ?? 0)).toBe(0);
  });
});
