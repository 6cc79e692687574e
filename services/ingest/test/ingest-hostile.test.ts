import { tinyPng } from '@sessionpix/testing';
import sharp from 'sharp';
import { auth } from '../../gateway/test/helpers';
import { type ItemBody, type Stack, startStack } from '../../gateway/test/stack';
import type { TestOrg } from '../../gateway/test/helpers';
import { type HostileFile, hostileCorpus } from './helpers/hostile';

/** Hostile files are refused before or by the decoder; this bounds how long any of them may take. */
const SETTLE_MS = 45_000;

describe('ingest: a hostile corpus in one request with good photos', () => {
  let stack: Stack;
  let org: TestOrg;
  let collectionId: string;
  let corpus: HostileFile[];
  let good: { name: string; bytes: Buffer }[];
  let accepted: { id: string; status: string }[];
  let settled: ItemBody[];

  beforeAll(async () => {
    stack = await startStack('ingesthostile');
    org = await stack.newOrg('Hostile Sounds');
    collectionId = await stack.newCollection(org);
    corpus = await hostileCorpus();
    good = [
      {
        name: 'console.jpg',
        bytes: await sharp({
          create: { width: 1200, height: 800, channels: 3, background: '#556677', noise: { type: 'gaussian', mean: 120, sigma: 30 } },
        })
          .jpeg({ quality: 80 })
          .toBuffer(),
      },
      { name: 'rack.png', bytes: tinyPng(320, 240) },
    ];
    // Good photos first, last and in the middle, so one bad part cannot hide the ones after it.
    const half = Math.floor(corpus.length / 2);
    const files = [
      good[0],
      ...corpus.slice(0, half).map((h) => ({ name: h.fileName, bytes: h.bytes })),
      good[1],
      ...corpus.slice(half).map((h) => ({ name: h.fileName, bytes: h.bytes })),
      { name: 'console-again.jpg', bytes: good[0].bytes },
    ];
    const res = await stack.upload(org, collectionId, files).expect(202);
    accepted = res.body.items;
    expect(accepted).toHaveLength(files.length);
    settled = await Promise.all(
      accepted.map((a) => stack.waitForStatus(org, a.id, ['paused', 'rejected', 'failed', 'analyzed'], SETTLE_MS)),
    );
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('accepts every part at once as `uploaded`, in request order', () => {
    expect(accepted.every((a) => a.status === 'uploaded')).toBe(true);
    expect(new Set(accepted.map((a) => a.id)).size).toBe(accepted.length);
  });

  it('rejects every hostile file with its reason code and a readable reason', () => {
    const byName = new Map(settled.map((s) => [s.originalFilename, s]));
    for (const hostile of corpus) {
      const item = byName.get(hostile.fileName);
      expect(item, hostile.name).toBeDefined();
      expect({ file: hostile.name, status: item!.status, reasonCode: item!.reasonCode }).toEqual({
        file: hostile.name,
        status: 'rejected',
        reasonCode: hostile.reasonCode,
      });
      // A sentence for a person: not a code, not a stack trace.
      expect(item!.reason, hostile.name).toMatch(/^[A-Z].{15,}[.!]$/);
      expect(item!.reason, hostile.name).not.toMatch(/Error:|\bat \w+ \(|[a-z]+_[a-z]+/);
      expect(item!.retryable, hostile.name).toBe(false);
      expect(item!.renditions, hostile.name).toEqual({});
    }
  });

  it('keeps nothing of a rejected upload in the store', async () => {
    const rejected = settled.filter((s) => s.status === 'rejected');
    expect(rejected).toHaveLength(corpus.length);
    for (const item of rejected) expect(await stack.itemKeys(org.orgId, item.id), item.originalFilename!).toEqual([]);
  });

  it('processes the good photos of the same request: paused, with renditions', async () => {
    const goodItems = settled.filter((s) => !corpus.some((h) => h.fileName === s.originalFilename));
    expect(goodItems.map((g) => g.originalFilename).sort()).toEqual(['console-again.jpg', 'console.jpg', 'rack.png']);
    for (const item of goodItems) {
      expect(item).toMatchObject({ status: 'paused', reasonCode: 'vision_not_configured' });
      expect(Object.keys(item.renditions).sort()).toEqual(['analysis', 'master', 'thumbnail']);
      expect(await stack.itemKeys(org.orgId, item.id)).toEqual(
        ['analysis.jpg', 'master-half.jpg', 'master.jpg', 'thumb.webp'].map((name) => `orgs/${org.orgId}/items/${item.id}/${name}`),
      );
    }
    const png = goodItems.find((g) => g.originalFilename === 'rack.png')!;
    expect([png.width, png.height]).toEqual([320, 240]);
  });

  it('lists them all in the collection', async () => {
    const res = await stack.http.get(`/v1/collections/${collectionId}/items?limit=100`).set(auth(org)).expect(200);
    expect(res.body.items.map((i: { id: string }) => i.id).sort()).toEqual(accepted.map((a) => a.id).sort());
  });
});
