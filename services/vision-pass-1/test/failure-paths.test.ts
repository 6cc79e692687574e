/**
 * Every way a vision call can go wrong, against the Converse stand-in: what happens to the
 * item, to the job, and which model_call rows record it. Items are seeded as ingest leaves
 * them, and only the two vision passes run.
 */
import { eventually, type RecordedCall } from '@sessionpix/testing';
import { JobProducer, REDIS } from '@sessionpix/queue';
import type { Redis } from 'ioredis';
import { recallModel, sha256 } from '../../../apps/sessionpix/test/support/answers';
import { type Edges, SERVICES, startEdges, startSystem, type System } from '../../../apps/sessionpix/test/support/system';
import { attempts, modelCalls, seedIngested, type SeededItem, settle } from './seed';

const VISION = [SERVICES.pass1, SERVICES.pass2];
const CALL_TIMEOUT_MS = 1_500;

const forItems = (items: SeededItem[], tool?: string) => {
  const hashes = new Set(items.map((i) => i.hash));
  return (call: RecordedCall) => hashes.has(sha256(call.images[0]!)) && (!tool || call.toolName === tool);
};
const PASS1 = 'equipment_identification';

// The tests run side by side: each scripts the stand-in only for calls carrying its own
// items' images, so their rules never touch another test's calls.
describe.concurrent('vision failure paths', () => {
  let edges: Edges;
  let system: System;

  beforeAll(async () => {
    edges = await startEdges('visionfail', { responder: recallModel().responder });
    system = await startSystem(edges, VISION, { VISION_CALL_TIMEOUT_MS: String(CALL_TIMEOUT_MS) });
  });

  afterAll(async () => {
    await system?.close();
    await edges?.close();
  });

  const callsFor = (items: SeededItem[]) => edges.standin.calls.filter(forItems(items));
  const job = (queue: 'vision-pass-1' | 'vision-pass-2', item: SeededItem, run = 0) =>
    system.proc.app.get(JobProducer).queue(queue).getJob(`${queue}-${item.id}-${run}`);
  /** The job once it has left `active`: the item's status commits just before the handler returns. */
  const finishedJob = (queue: 'vision-pass-1' | 'vision-pass-2', item: SeededItem, run = 0) =>
    eventually(
      async () => {
        const found = await job(queue, item, run);
        const state = await found?.getState();
        return found && state !== 'active' && state !== 'waiting' ? found : undefined;
      },
      10_000,
      `${queue} job of ${item.id} to finish`,
    );

  it('throttling pauses the queue instead of failing: with half the calls throttled every item still completes', async ({ expect }) => {
    const items = await seedIngestedLater(4);
    edges.standin.rule({ when: forItems(items), fraction: 0.5, behaviour: { kind: 'throttle' } });
    await enqueue(items);
    const rows = await settle(edges, items, ['analyzed', 'failed'], 30_000);
    expect(rows.map((r) => r.status)).toEqual(Array(4).fill('analyzed'));

    // Every other call was throttled: 8 answers took 15 or 16 calls.
    const calls = callsFor(items);
    expect(calls.length).toBeGreaterThanOrEqual(15);
    let throttled = 0;
    for (const item of items) {
      const outcomes = await attempts(edges, item);
      expect(outcomes.filter((o) => o.endsWith(':ok')).sort()).toEqual(['1:ok', '2:ok']);
      expect(outcomes.every((o) => o.endsWith(':ok') || o.endsWith(':throttled'))).toBe(true);
      throttled += outcomes.filter((o) => o.endsWith(':throttled')).length;
      // A throttle hands the job back to the queue without using one of its attempts.
      for (const queue of ['vision-pass-1', 'vision-pass-2'] as const) {
        const j = await finishedJob(queue, item);
        expect(await j.getState()).toBe('completed');
        expect(j?.attemptsMade).toBe(1);
      }
    }
    // One model_call row per attempt, throttled ones included.
    expect(throttled).toBe(calls.length - 8);
  });

  it('a 5xx is retried with the job’s backoff, then completes', async ({ expect }) => {
    const [item] = await seedIngestedLater(1);
    edges.standin.rule({ when: forItems([item!], PASS1), times: 1, behaviour: { kind: 'error', type: 'ServiceUnavailableException' } });
    await enqueue([item!]);
    const [row] = await settle(edges, [item!], ['analyzed', 'failed'], 30_000);
    expect(row!.status).toBe('analyzed');
    expect(await attempts(edges, item!)).toEqual(['1:transient', '1:ok', '2:ok']);
    const [failedCall] = await modelCalls(edges, item!);
    expect(failedCall!.error_message).toMatch(/ServiceUnavailableException \(503\)/);
    const pass1 = await job('vision-pass-1', item!);
    // Two attempts of the same job; between them it waited in the delayed set (the backoff).
    expect(pass1?.attemptsMade).toBe(2);
    expect(pass1?.opts.backoff).toEqual({ type: 'exponential', delay: 5_000 });
    expect(await queueEvents('vision-pass-1', pass1!.id!)).toContain('delayed');
  });

  it('a call that outlives VISION_CALL_TIMEOUT_MS is transient: recorded as a timeout, retried, then completes', async ({ expect }) => {
    const [item] = await seedIngestedLater(1);
    edges.standin.rule({ when: forItems([item!], PASS1), times: 1, behaviour: { kind: 'answer', delayMs: CALL_TIMEOUT_MS * 3 } });
    await enqueue([item!]);
    const [row] = await settle(edges, [item!], ['analyzed', 'failed'], 30_000);
    expect(row!.status).toBe('analyzed');
    expect(await attempts(edges, item!)).toEqual(['1:timeout', '1:ok', '2:ok']);
    const [timedOut] = await modelCalls(edges, item!);
    expect(timedOut!.error_message).toMatch(/no answer within 1500 ms/);
    const pass1 = await job('vision-pass-1', item!);
    expect(pass1?.attemptsMade).toBe(2);
    expect(await queueEvents('vision-pass-1', pass1!.id!)).toContain('delayed');
  });

  it.for([
    ['a malformed tool answer', { kind: 'malformed', variant: 'schema_mismatch' }, 'bad_output', /did not have the expected structure/],
    ['an answer cut off at max_tokens', { kind: 'max_tokens' }, 'truncated', /cut off before it was complete/],
  ] as const)('%s is sampled once more, then the item fails with a readable reason', async ([, behaviour, outcome, reason], { expect }) => {
    const [item] = await seedIngestedLater(1);
    edges.standin.rule({ when: forItems([item!], PASS1), behaviour });
    await enqueue([item!]);
    const [row] = await settle(edges, [item!], ['analyzed', 'failed']);
    expect(row).toMatchObject({ status: 'failed', reason_code: `model_${outcome}`, retryable: true });
    expect(row!.reason).toMatch(reason);
    expect(row!.reason).toMatch(/^[A-Z].*\.$/);
    expect(callsFor([item!])).toHaveLength(2);
    expect(await attempts(edges, item!)).toEqual([`1:${outcome}`, `1:${outcome}`]);
    expect((await modelCalls(edges, item!)).map((c) => c.attempt)).toEqual([1, 2]);
    // The job itself ends: the item carries the failure.
    const pass1 = await finishedJob('vision-pass-1', item!);
    expect(await pass1.getState()).toBe('completed');
    expect(pass1?.attemptsMade).toBe(1);
  });

  it.for([
    ['ValidationException', 'invalid_request', 'model_rejected_request', false],
    ['ServiceQuotaExceededException', 'quota', 'model_quota_exceeded', true],
  ] as const)('%s fails the item at once, with no retry', async ([type, outcome, reasonCode, retryable], { expect }) => {
    const [item] = await seedIngestedLater(1);
    edges.standin.rule({ when: forItems([item!], PASS1), behaviour: { kind: 'error', type } });
    await enqueue([item!]);
    const [row] = await settle(edges, [item!], ['analyzed', 'failed']);
    expect(row).toMatchObject({ status: 'failed', reason_code: reasonCode, retryable });
    expect(row!.reason).toMatch(/^The AI service .*\.$/);
    const pass1 = await finishedJob('vision-pass-1', item!);
    expect(await pass1.getState()).toBe('completed');
    expect(pass1?.attemptsMade).toBe(1);
    expect(callsFor([item!])).toHaveLength(1);
    expect(await attempts(edges, item!)).toEqual([`1:${outcome}`]);
  });

  /** The events BullMQ logged for one job, in order (its Redis stream, read back). */
  async function queueEvents(queue: 'vision-pass-1' | 'vision-pass-2', jobId: string): Promise<string[]> {
    const redis = system.proc.app.get<Redis>(REDIS);
    const entries = await redis.xrange(`${edges.prefix}:${queue}:events`, '-', '+');
    const events: string[] = [];
    for (const [, fields] of entries) {
      const record = Object.fromEntries(fields.flatMap((_, i) => (i % 2 === 0 ? [[fields[i], fields[i + 1]]] : [])));
      if (record.jobId === jobId) events.push(record.event!);
    }
    return events;
  }

  /** Seeds without enqueueing, so a test's rules are in place before the first call. */
  function seedIngestedLater(count: number): Promise<SeededItem[]> {
    return seedIngested(system, count, { enqueue: false });
  }

  async function enqueue(items: SeededItem[]): Promise<void> {
    const producer = system.proc.app.get(JobProducer);
    for (const item of items) await producer.enqueue('vision-pass-1', { v: 1, orgId: item.orgId, itemId: item.id, run: 0 });
  }
});

describe('a throttle seen by one replica', () => {
  const PAUSE_MS = 8_000;
  let edges: Edges;
  let replicaA: System;
  let replicaB: System | undefined;

  beforeAll(async () => {
    edges = await startEdges('visionthrottle', { responder: recallModel().responder });
    replicaA = await startSystem(edges, [SERVICES.pass1], { VISION_THROTTLE_PAUSE_MS: String(PAUSE_MS) });
  });

  afterAll(async () => {
    await replicaB?.close();
    await replicaA?.close();
    await edges?.close();
  });

  it('pauses the queue for every replica of the pass, not only the worker that was throttled', { timeout: 60_000 }, async () => {
    const [first, ...later] = await seedIngested(replicaA, 4, { enqueue: false });
    edges.standin.rule({ times: 1, behaviour: { kind: 'throttle' } });
    const producer = replicaA.proc.app.get(JobProducer);
    const enqueue = (item: SeededItem) => producer.enqueue('vision-pass-1', { v: 1, orgId: item.orgId, itemId: item.id, run: 0 });
    await enqueue(first!);
    await eventually(async () => ((await attempts(edges, first!)).includes('1:throttled') ? true : undefined), 15_000, 'the throttle');

    // A second replica, which knows of the throttle only what Redis tells it, and more work
    // arriving while the pause lasts: nobody may take it to the model yet.
    replicaB = await startSystem(edges, [SERVICES.pass1], { VISION_THROTTLE_PAUSE_MS: String(PAUSE_MS) });
    await eventually(async () => ((await fetch(`${replicaB!.proc.opsUrl}/readyz`)).status === 200 ? true : undefined), 15_000, 'replica B to run its workers');
    for (const item of later) await enqueue(item);
    await new Promise((r) => setTimeout(r, 1_000));
    const callsDuringPause = edges.standin.calls.length;
    // Read after counting the calls: the pause was still on while they were made.
    const redis = replicaA.proc.app.get<Redis>(REDIS);
    expect(await redis.pttl(`${edges.prefix}:vision-pass-1:limiter`)).toBeGreaterThan(0);
    expect(callsDuringPause).toBe(1);

    const rows = await settle(edges, [first!, ...later], ['identified', 'failed'], 30_000);
    expect(rows.map((r) => r.status)).toEqual(Array(4).fill('identified'));
    expect(await attempts(edges, first!)).toEqual(['1:throttled', '1:ok']);
    for (const item of later) expect(await attempts(edges, item)).toEqual(['1:ok']);
  });
});

describe('vision not configured', () => {
  let edges: Edges;
  let system: System | undefined;

  beforeAll(async () => {
    edges = await startEdges('visionoff', { responder: recallModel().responder });
  });

  afterAll(async () => {
    await system?.close();
    await edges?.close();
  });

  it('items wait as paused (vision_not_configured) and resume by themselves once vision is configured', async () => {
    system = await startSystem(edges, VISION, { VISION_ENABLED: 'false' });
    const items = await seedIngested(system, 3);
    const paused = await settle(edges, items, ['paused', 'analyzed', 'failed']);
    for (const row of paused) {
      expect(row).toMatchObject({ status: 'paused', reason_code: 'vision_not_configured' });
      expect(row.reason).toMatch(/resumes by itself/);
    }
    expect(edges.standin.calls).toHaveLength(0);
    await system.close();
    system = undefined;

    // Restarted with the Bedrock endpoint configured (VISION_ENABLED=auto): nobody retries by hand.
    system = await startSystem(edges, VISION);
    const rows = await settle(edges, items, ['analyzed', 'failed'], 30_000);
    expect(rows.map((r) => r.status)).toEqual(['analyzed', 'analyzed', 'analyzed']);
    expect(edges.standin.calls).toHaveLength(6);
    for (const item of items) expect(await attempts(edges, item)).toEqual(['1:ok', '2:ok']);
  });
});
