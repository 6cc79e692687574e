import { Injectable } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { QueueName } from '@sessionpix/contracts';
import { JOB_HANDLER_METADATA, type JobHandlerFn } from './job-handler.decorator';

export interface RegisteredHandler {
  queue: QueueName;
  owner: string;
  fn: JobHandlerFn<QueueName>;
}

export class JobRegistryError extends Error {
  override name = 'JobRegistryError';
}

/** Finds every @JobHandler in the running modules and checks one handler per queue. */
@Injectable()
export class HandlerRegistry {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
  ) {}

  discover(): RegisteredHandler[] {
    const found: RegisteredHandler[] = [];
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      const proto = Object.getPrototypeOf(instance) as object;
      for (const method of this.scanner.getAllMethodNames(proto)) {
        const queue = Reflect.getMetadata(JOB_HANDLER_METADATA, proto, method) as QueueName | undefined;
        if (!queue) continue;
        const fn = instance[method] as JobHandlerFn<QueueName>;
        found.push({ queue, owner: `${proto.constructor.name}.${method}`, fn: fn.bind(instance) });
      }
    }
    return found;
  }

  /** Exactly one handler for each queue this process consumes; nothing else. */
  resolve(consumed: readonly QueueName[]): Map<QueueName, RegisteredHandler> {
    return checkHandlers(this.discover(), consumed);
  }
}

export function checkHandlers(
  handlers: RegisteredHandler[],
  consumed: readonly QueueName[],
): Map<QueueName, RegisteredHandler> {
  const problems: string[] = [];
  const byQueue = new Map<QueueName, RegisteredHandler>();
  for (const queue of consumed) {
    const mine = handlers.filter((h) => h.queue === queue);
    if (mine.length === 0) problems.push(`queue "${queue}" has no @JobHandler`);
    if (mine.length > 1) {
      problems.push(`queue "${queue}" has ${mine.length} handlers: ${mine.map((h) => h.owner).join(', ')}`);
    }
    if (mine.length === 1) byQueue.set(queue, mine[0]);
  }
  for (const h of handlers) {
    if (!consumed.includes(h.queue)) {
      problems.push(`${h.owner} handles "${h.queue}", which no service in this process consumes`);
    }
  }
  if (problems.length > 0) {
    throw new JobRegistryError(`Refusing to start: ${problems.join('; ')}`);
  }
  return byQueue;
}
