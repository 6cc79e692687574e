/**
 * A vision worker process dies with model calls in flight (kill -9: no drain, no cleanup) and
 * is started again: every photo still ends analysed, with exactly one analysis per pass.
 * Gateway and ingest run in the test process; both vision passes run in a child process
 * started from the built dist, as in a deployment.
 */
import { eventually } from '@sessionpix/testing';
import { recallModel } from './support/answers';
import { distinctJpeg } from './support/images';
import {
  ApiClient,
  type ChildSystem,
  type Edges,
  SERVICES,
  startChild,
  startEdges,
  startSystem,
  type System,
  type TestOrg,
} from './support/system';

const PHOTOS = 6;
/** Long enough that the kill always finds calls waiting for their answer. */
const MODEL_LATENCY_MS = 1_500;
const CHILD_ENV = {
  // A worker that dies keeps its jobs locked until the lock runs out: 3 s here instead of
  // the production 120 s, so another worker takes them over within the test.
  QUEUE_LOCK_DURATION_MS: '3000',
  // Pass 1 two at a time, so the kill finds pass 1 and pass 2 calls in flight together.
  VISION_PASS1_CONCURRENCY: '2',
};

describe('a vision worker killed mid-call', () => {
  let edges: Edges;
  let system: System;
  let api: ApiClient;
  let workers: ChildSystem | undefined;

  beforeAll(async () => {
    edges = await startEdges('crash', { responder: recallModel().responder, delayMs: MODEL_LATENCY_MS });
    system = await startSystem(edges, [SERVICES.gateway, SERVICES.ingest]);
    api = new ApiClient(system);
  });

  afterAll(async () => {
    workers?.child.kill('SIGKILL');
    await workers?.exited;
    await system?.close();
    await edges?.close();
  });

  it('is restarted and finishes every item: all analyzed, exactly one pass 1 and one pass 2 analysis per item', { timeout: 90_000 }, async () => {
    const org: TestOrg = await api.newOrg('Crash Test Studio');
    const collectionId = await api.newCollection(org, 'Crash session');
    const files = await Promise.all(Array.from({ length: PHOTOS }, async (_, i) => ({ name: `c${i}.jpg`, bytes: await distinctJpeg(300 + i) })));

    workers = await startChild(edges, 'vision-pass-1,vision-pass-2', CHILD_ENV);
    const ids = await api.upload(org, collectionId, files);

    // Kill as soon as a pass 2 call arrives: it (and the pass 1 calls beside it) are still
    // waiting for their answers.
    await eventually(
      async () => (edges.standin.calls.some((c) => c.toolName === 'control_positions') ? true : undefined),
      30_000,
      'the first pass 2 call',
    );
    workers.child.kill('SIGKILL');
    const exit = await workers.exited;
    expect(exit.signal).toBe('SIGKILL');
    const callsAtKill = edges.standin.calls.length;
    const recorded = Number((await edges.sql<{ n: string }>('select count(*) as n from model_call'))[0]!.n);
    expect(recorded).toBeLessThan(callsAtKill); // some calls never got their answer
    const before = await api.items(org, collectionId);
    expect(before.filter((i) => i.status === 'analyzed').length).toBeLessThan(PHOTOS);

    workers = await startChild(edges, 'vision-pass-1,vision-pass-2', CHILD_ENV);
    const after = await api.settle(org, collectionId, PHOTOS, ['analyzed', 'failed'], 60_000);
    expect(after.map((i) => i.status)).toEqual(Array(PHOTOS).fill('analyzed'));
    expect(edges.standin.calls.length).toBeGreaterThan(callsAtKill); // the lost calls were made again

    const analyses = await edges.sql<{ item_id: string; pass: number; n: string }>(
      'select item_id, pass, count(*) as n from analysis group by item_id, pass order by item_id, pass',
    );
    expect(analyses).toEqual(
      [...ids].sort().flatMap((id) => [
        { item_id: id, pass: 1, n: '1' },
        { item_id: id, pass: 2, n: '1' },
      ]),
    );
    for (const id of ids) {
      const item = await api.item(org, id);
      expect(item.results.pass1).toBeDefined();
      expect(item.results.pass2).toBeDefined();
    }
    expect(workers.output()).not.toMatch(/"level":"(error|fatal)"/); // no error logged by the restarted workers
  });
});
