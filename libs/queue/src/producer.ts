import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@sessionpix/config';
import {
  JOB_PAYLOAD_SCHEMAS,
  QUEUE_NAMES,
  jobIdFor,
  type JobPayload,
  type QueueName,
} from '@sessionpix/contracts';
import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { REDIS } from './redis';
import { QUEUE_SETTINGS } from './settings';

export class InvalidJobPayloadError extends Error {
  override name = 'InvalidJobPayloadError';
}

/**
 * The one way code enqueues work: the payload is validated against the queue's schema, the
 * job id is deterministic, and every add is awaited so a failure reaches the caller.
 */
@Injectable()
export class JobProducer implements OnApplicationShutdown {
  private readonly queues = new Map<QueueName, Queue>();

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  queue(name: QueueName): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      const settings = QUEUE_SETTINGS[name];
      queue = new Queue(name, {
        connection: this.redis,
        prefix: this.config.QUEUE_PREFIX,
        defaultJobOptions: {
          attempts: settings.attempts,
          backoff: { type: settings.backoff.type, delay: settings.backoff.delayMs },
          removeOnComplete: { age: 24 * 3600, count: 10_000 },
          removeOnFail: { age: 14 * 24 * 3600 },
        },
      });
      this.queues.set(name, queue);
    }
    return queue;
  }

  async enqueue<Q extends QueueName>(name: Q, payload: JobPayload<Q>, opts: JobsOptions = {}): Promise<string> {
    const parsed = JOB_PAYLOAD_SCHEMAS[name].safeParse(payload);
    if (!parsed.success) {
      throw new InvalidJobPayloadError(
        `refusing to enqueue an invalid ${name} payload: ${parsed.error.issues
          .map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`)
          .join('; ')}`,
      );
    }
    const jobId = jobIdFor(name, parsed.data as JobPayload<Q>);
    await this.queue(name).add(name, parsed.data, { ...opts, jobId });
    return jobId;
  }

  /**
   * Many jobs of one queue in one round trip (BullMQ addBulk), each validated and given its
   * deterministic id like `enqueue`; awaited, so a failure reaches the caller.
   */
  async enqueueMany<Q extends QueueName>(name: Q, payloads: readonly JobPayload<Q>[], opts: JobsOptions = {}): Promise<string[]> {
    const jobs = payloads.map((payload) => {
      const parsed = JOB_PAYLOAD_SCHEMAS[name].safeParse(payload);
      if (!parsed.success) {
        throw new InvalidJobPayloadError(
          `refusing to enqueue an invalid ${name} payload: ${parsed.error.issues
            .map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`)
            .join('; ')}`,
        );
      }
      const jobId = jobIdFor(name, parsed.data as JobPayload<Q>);
      return { name, data: parsed.data, opts: { ...opts, jobId } };
    });
    if (jobs.length > 0) await this.queue(name).addBulk(jobs);
    return jobs.map((j) => j.opts.jobId);
  }

  /** Every queue this process has opened, or all of them; for the sweeper and metrics. */
  allQueues(): Queue[] {
    return QUEUE_NAMES.map((q) => this.queue(q));
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}
