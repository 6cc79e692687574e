import { randomBytes } from 'node:crypto';
import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import { loadConfig } from '@sessionpix/config';
import { emForSystem, MikroORM, OutboxWriter } from '@sessionpix/db';
import { createSesClient, notificationsService, renderEmail } from '@sessionpix/notifications';
import { OutboxDispatcher } from '@sessionpix/queue';
import { startProcess, type RunningProcess } from '@sessionpix/runtime';
import { startSesStandin } from '@sessionpix/testing';
import { REDIS_URL, suiteDatabase, suitePrefix } from '../env';
import { type BenchContext, interleaved, summarize, type Suite, timed, withConcurrency } from '../framework';

/** E-mails per round. */
const BATCH = 400;
/** Sends in flight: the worker's NOTIFICATIONS_CONCURRENCY, and the baseline's lanes. */
const CONCURRENCY = 16;

const DATA = {
  name: 'Ada Lovelace',
  device: 'Safari on macOS',
  ip: '198.51.100.7',
  at: '2026-12-01T14:05:00.000Z',
};

/**
 * E-mails per second through the notifications service (outbox row → job → checks → render →
 * SES v2 SendEmail → `sent`) against the local SES stand-in (aws-ses-v2-local), with the send
 * rate limit off, beside the bare SDK: SendEmailCommand in a loop with the same number in flight,
 * the same rendered message, to the same stand-in. The rows are written before the clock starts;
 * the clock runs from enqueueing the jobs to the last row recorded `sent`.
 */
export const emailSuite: Suite = {
  name: 'email',
  title: 'e-mails/s: notifications worker vs bare SDK SendEmail',
  async run(ctx: BenchContext) {
    ctx.log('starting the SES stand-in');
    const ses = await startSesStandin();
    ctx.defer(() => ses.close());
    process.env.AWS_ACCESS_KEY_ID ??= 'local';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
    const db = await suiteDatabase(ctx, 'email');

    const start = async (rate: string): Promise<RunningProcess> => {
      const config = loadConfig({
        NODE_ENV: 'development',
        SESSIONPIX_SERVICES: 'notifications',
        LOG_LEVEL: 'silent',
        DATABASE_URL: db.url,
        REDIS_URL,
        QUEUE_PREFIX: suitePrefix(ctx),
        PORT: '0',
        OPS_PORT: '0',
        AWS_REGION: 'us-east-1',
        AWS_ENDPOINT_URL_SESV2: ses.endpoint,
        SES_FROM_ADDRESS: 'sessionpix <no-reply@sessionpix.example>',
        SES_MAX_SEND_RATE: rate,
        NOTIFICATIONS_CONCURRENCY: String(CONCURRENCY),
        // The bench decides when rows are looked at; the sweep only after the run.
        SWEEP_INTERVAL_SECONDS: '3600',
        SWEEP_GRACE_SECONDS: '3600',
        SHUTDOWN_GRACE_MS: '10000',
      });
      ctx.log(`starting the notifications service (SES_MAX_SEND_RATE=${rate})`);
      const proc = await startProcess({ config, available: [notificationsService], handleSignals: false });
      let closed = false;
      const close = proc.close;
      proc.close = async () => {
        if (closed) return;
        closed = true;
        await close();
      };
      ctx.defer(() => proc.close());
      await waitReady(proc);
      return proc;
    };

    const sdk = createSesClient({ AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL_SESV2: ses.endpoint });
    ctx.defer(() => sdk.destroy());
    const message = renderEmail('security.new_sign_in', DATA, { supportEmail: 'support@sessionpix.example' });

    const viaSdk = async () => {
      await ses.clear();
      const addresses = Array.from({ length: BATCH }, (_, i) => `bench-sdk-${i}@example.com`);
      const ms = await timed(() =>
        withConcurrency(addresses, CONCURRENCY, async (to) => {
          await sdk.send(
            new SendEmailCommand({
              FromEmailAddress: 'sessionpix <no-reply@sessionpix.example>',
              Destination: { ToAddresses: [to] },
              ReplyToAddresses: ['support@sessionpix.example'],
              Content: {
                Simple: {
                  Subject: { Data: message.subject, Charset: 'UTF-8' },
                  Body: { Text: { Data: message.text, Charset: 'UTF-8' }, Html: { Data: message.html, Charset: 'UTF-8' } },
                },
              },
            }),
          );
        }),
      );
      return BATCH / (ms / 1000);
    };

    const viaWorker = (proc: RunningProcess) => async () => {
      await ses.clear();
      const orm = proc.app.get<MikroORM>(MikroORM);
      const writer = new OutboxWriter();
      const tag = randomBytes(4).toString('hex');
      const ids = await emForSystem(orm).transactional(async (tx) => {
        const out: string[] = [];
        for (let i = 0; i < BATCH; i++) {
          const queued = await writer.queueEmail(tx, {
            templateId: 'security.new_sign_in',
            to: `bench-${tag}-${i}@example.com`,
            data: DATA,
            dedupeKey: `bench:${tag}:${i}`,
          });
          out.push(queued.id!);
        }
        return out;
      });
      const ms = await timed(async () => {
        await proc.app.get(OutboxDispatcher).dispatch(ids);
        await untilSent(orm, tag);
      });
      const stored = (await ses.emails()).length;
      if (stored !== BATCH) throw new Error(`the stand-in holds ${stored} e-mails, expected ${BATCH}`);
      return BATCH / (ms / 1000);
    };

    const unlimited = await start('0');
    const off = await interleaved(ctx, 'e-mails/s, limit off', viaWorker(unlimited), viaSdk);
    ctx.record({
      metric: 'e-mails/s, send-rate limit off',
      unit: 'mail/s',
      better: 'higher',
      subject: {
        label: `notifications worker, c=${CONCURRENCY}: outbox → job → checks → render → SendEmail → sent (${BATCH}/round)`,
        stats: summarize(off.subject, 'higher'),
      },
      baseline: { label: `bare SDK SendEmailCommand loop, ${CONCURRENCY} in flight, same stand-in`, stats: summarize(off.baseline, 'higher') },
    });
    await unlimited.close();

    // The shared limiter (one Redis script call per send) at a rate that never binds.
    const limited = await start('100000');
    const on = await interleaved(ctx, 'e-mails/s, limiter on', viaWorker(limited), viaSdk, { runs: Math.max(3, Math.ceil(ctx.runs / 2)) });
    ctx.record({
      metric: 'e-mails/s, shared limiter on (never binding)',
      unit: 'mail/s',
      better: 'higher',
      subject: { label: 'notifications worker, SES_MAX_SEND_RATE=100000', stats: summarize(on.subject, 'higher') },
      baseline: { label: 'bare SDK loop (as above)', stats: summarize(on.baseline, 'higher') },
    });
    ctx.note(
      'email: the stand-in answers SendEmail in well under a millisecond, so these figures are the cost of sessionpix ' +
        'around each send (about five PostgreSQL round trips and a BullMQ job); against SES, whose calls take tens of ' +
        'milliseconds and whose account rate is 14–hundreds per second, the send rate limit binds long before this does.',
    );
  },
};

async function waitReady(proc: RunningProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await fetch(`${proc.opsUrl}/readyz`)).ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the notifications service did not become ready');
}

async function untilSent(orm: MikroORM, tag: string): Promise<void> {
  const em = emForSystem(orm);
  for (;;) {
    const [{ n }] = await em.execute<{ n: number }[]>(
      `select count(*)::int as "n" from "email_outbox" where "dedupe_key" like ? and "status" <> 'sent'`,
      [`bench:${tag}:%`],
      'all',
    );
    if (n === 0) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}
