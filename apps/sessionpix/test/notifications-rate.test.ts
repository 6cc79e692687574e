import { eventually } from '@sessionpix/testing';
import { type MailEdges, startMailEdges, startWorker, type Worker } from './support/mail';

const RATE = 10;
const EMAILS = 40;

/**
 * The SES account's maximum send rate holds across replicas: two worker processes share one
 * token bucket in Redis (RATE a second, a second's worth of burst). A bucket per process would
 * let twice as much through.
 */
describe('the SES send rate across two worker processes', () => {
  let edges: MailEdges;
  const workers: Worker[] = [];

  beforeAll(async () => {
    edges = await startMailEdges('notifyrate', { SES_MAX_SEND_RATE: String(RATE), NOTIFICATIONS_CONCURRENCY: '4' });
    workers.push(await startWorker(edges), await startWorker(edges));
  });

  afterAll(async () => {
    for (const w of workers) await w.kill();
    await edges?.close();
  });

  it('stays within SES_MAX_SEND_RATE in total, with both processes sending', async () => {
    const ids: string[] = [];
    for (let i = 0; i < EMAILS; i++) {
      ids.push(
        await edges.queue('security.new_sign_in', `rate-${i}@example.com`, {
          name: 'Ada',
          device: 'Safari on macOS',
          ip: '198.51.100.7',
          at: new Date().toISOString(),
        }),
      );
    }
    await eventually(
      async () => {
        const rows = await Promise.all(ids.map((id) => edges.row(id)));
        return rows.every((r) => r.status === 'sent') ? true : undefined;
      },
      60_000,
      `${EMAILS} e-mails to be sent`,
    );
    const perWorker = await Promise.all(workers.map((w) => w.metric(/^sessionpix_emails_total\{.*outcome="sent"/)));
    expect(perWorker.reduce((a, b) => a + b, 0)).toBe(EMAILS);
    for (const n of perWorker) expect(n).toBeGreaterThan(0);

    const times = edges.proxy.requests.map((r) => r.at).sort((a, b) => a - b);
    expect(times).toHaveLength(EMAILS);
    // A token bucket lets through at most burst + rate × t in any t: the 40 e-mails need at
    // least (40 - 10) / 10 = 3 s (a bucket per process: 1 s). A little slack for the network.
    expect(times[times.length - 1] - times[0]).toBeGreaterThanOrEqual(((EMAILS - RATE) / RATE) * 1000 - 300);
    let busiest = 0;
    for (let i = 0, j = 0; j < times.length; j++) {
      while (times[j] - times[i] >= 1000) i++;
      busiest = Math.max(busiest, j - i + 1);
    }
    expect(busiest).toBeLessThanOrEqual(2 * RATE + 2);
  }, 90_000);
});
