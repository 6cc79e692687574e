import type { JobPayload, QueueName } from '@sessionpix/contracts';
import type { Job } from 'bullmq';

export const JOB_HANDLER_METADATA = Symbol('sessionpix:job-handler');

export interface JobContext {
  job: Job;
  /** The lock token, for `job.moveToDelayed(…, token)` when a step must wait. */
  token: string | undefined;
  /** Aborted when the per-job timeout passes or the worker is force-closed. */
  signal: AbortSignal;
  /** 1 on the first try. */
  attempt: number;
  /**
   * Pauses the whole queue for `ms` (every replica): the handler throws what this returns, and
   * the job goes back to wait without using an attempt. For "slow down" from an upstream.
   */
  pauseQueue(ms: number): Promise<Error>;
  /** True when a failure now fails the job for good (the handler records why). */
  isFinalAttempt: boolean;
}

export type JobHandlerFn<Q extends QueueName> = (payload: JobPayload<Q>, ctx: JobContext) => Promise<unknown>;

/**
 * Marks a provider method as the handler of one queue. The payload type follows from the
 * queue, and start-up refuses a queue with no handler or two.
 */
export function JobHandler<Q extends QueueName>(queue: Q) {
  return (
    target: object,
    propertyKey: string | symbol,
    descriptor: Pick<TypedPropertyDescriptor<JobHandlerFn<Q>>, 'value'>,
  ): void => {
    Reflect.defineMetadata(JOB_HANDLER_METADATA, queue, target, propertyKey);
    void descriptor;
  };
}
