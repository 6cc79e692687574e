import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@sessionpix/config';
import { JOB_PAYLOAD_SCHEMAS, type QueueName } from '@sessionpix/contracts';
import { HealthRegistry, jobDuration, jobsCompleted } from '@sessionpix/observability';
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { HandlerRegistry, type RegisteredHandler } from './handler-registry';
import { JobProducer } from './producer';
import { REDIS } from './redis';
import { CONSUMED_QUEUES } from './tokens';
import { effectiveConcurrency, effectiveLockDuration, QUEUE_SETTINGS, stalledCheckInterval } from './settings';

function outcomeOf(err: unknown): string {
  if (err instanceof DelayedError) return 'delayed';
  if (err instanceof Error && err.name === 'RateLimitError') return 'rate_limited';
  return 'failed';
}

/**
 * BullMQ honours `queue.rateLimit()` (what `ctx.pauseQueue` sets) only in workers that have a
 * limiter: without one, every other worker of the queue, in this process or another replica,
 * keeps taking jobs while the queue is meant to be paused. This limiter never binds by itself
 * (a million jobs a second); it is there so a pause reaches every worker.
 */
const PAUSABLE = { max: 1_000_000, duration: 1_000 } as const;

export class JobTimeoutError extends Error {
  override name = 'JobTimeoutError';
}

/**
 * Owns this process's BullMQ workers. They are created paused and start only once every
 * readiness check passes (a worker must not take jobs it cannot finish), and on SIGTERM they
 * stop taking jobs and let the running ones finish.
 */
@Injectable()
export class WorkerHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('WorkerHost');
  private readonly workers: Worker[] = [];
  private stopped = false;

  constructor(
    private readonly registry: HandlerRegistry,
    private readonly health: HealthRegistry,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CONSUMED_QUEUES) private readonly consumed: QueueName[],
    private readonly producer: JobProducer,
  ) {}

  onApplicationBootstrap(): void {
    const handlers = this.registry.resolve(this.consumed);
    if (handlers.size === 0) return;
    for (const [queue, handler] of handlers) this.workers.push(this.createWorker(queue, handler));
    const release = this.health.hold('workers');
    void this.startWhenReady().finally(release);
  }

  private async startWhenReady(): Promise<void> {
    let delay = 250;
    for (;;) {
      if (this.stopped) return;
      const report = await this.health.readiness();
      const blocking = Object.entries(report.checks).filter(([name, v]) => v !== 'ok' && name !== 'workers');
      if (blocking.length === 0) break;
      this.log.warn(`workers wait for: ${blocking.map(([n, v]) => `${n} (${v})`).join(', ')}`);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 5_000);
    }
    for (const worker of this.workers) {
      worker.run().catch((err: unknown) => this.log.error(`worker ${worker.name} stopped: ${String(err)}`));
    }
    this.log.log(`workers running: ${this.workers.map((w) => `${w.name}×${w.concurrency}`).join(', ')}`);
  }

  private createWorker(queue: QueueName, handler: RegisteredHandler): Worker {
    const lockDuration = effectiveLockDuration(queue, this.config);
    const worker = new Worker(queue, (job, token) => this.process(queue, handler, job, token), {
      connection: this.redis,
      prefix: this.config.QUEUE_PREFIX,
      autorun: false,
      concurrency: effectiveConcurrency(queue, this.config),
      lockDuration,
      stalledInterval: stalledCheckInterval(lockDuration),
      maxStalledCount: 2,
      limiter: PAUSABLE,
    });
    worker.on('failed', (job, err) => {
      this.log.warn(`job ${job?.id ?? '?'} on ${queue} failed (attempt ${job?.attemptsMade ?? '?'}): ${err.message}`);
    });
    worker.on('error', (err) => this.log.error(`worker ${queue}: ${err.message}`));
    return worker;
  }

  private async process(
    queue: QueueName,
    handler: RegisteredHandler,
    job: Job,
    token: string | undefined,
  ): Promise<unknown> {
    const settings = QUEUE_SETTINGS[queue];
    const parsed = JOB_PAYLOAD_SCHEMAS[queue].safeParse(job.data);
    if (!parsed.success) {
      jobsCompleted.inc({ queue, outcome: 'invalid_payload' });
      // A malformed payload will not improve with retries: fail this job only.
      throw new UnrecoverableError(
        `invalid ${queue} job payload: ${parsed.error.issues
          .map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`)
          .join('; ')}`,
      );
    }
    const attempt = job.attemptsMade + 1;
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new JobTimeoutError(`${queue} job timed out after ${settings.timeoutMs} ms`)),
      settings.timeoutMs,
    );
    const stopTimer = jobDuration.startTimer({ queue });
    try {
      const result = await Promise.race([
        handler.fn(parsed.data, {
          job,
          token,
          pauseQueue: async (ms: number) => {
            await this.producer.queue(queue).rateLimit(ms);
            return Worker.RateLimitError();
          },
          signal: controller.signal,
          attempt,
          isFinalAttempt: attempt >= (job.opts.attempts ?? settings.attempts),
        }),
        new Promise<never>((_, reject) =>
          controller.signal.addEventListener('abort', () => reject(controller.signal.reason as Error), { once: true }),
        ),
      ]);
      jobsCompleted.inc({ queue, outcome: 'completed' });
      return result;
    } catch (err) {
      jobsCompleted.inc({ queue, outcome: outcomeOf(err) });
      throw err;
    } finally {
      clearTimeout(timer);
      stopTimer();
    }
  }

  /** Before the database closes: stop taking jobs, let running ones finish within the grace. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.health.markShuttingDown();
    if (this.workers.length === 0) return;
    const graceful = Promise.all(this.workers.map((w) => w.close()));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((r) => {
      timer = setTimeout(() => r('timeout'), this.config.SHUTDOWN_GRACE_MS);
    });
    const outcome = await Promise.race([graceful.then(() => 'drained' as const), deadline]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.log.warn(`jobs still running after ${this.config.SHUTDOWN_GRACE_MS} ms; closing anyway`);
      await Promise.all(this.workers.map((w) => w.close(true)));
    } else {
      this.log.log('workers drained');
    }
  }
}
