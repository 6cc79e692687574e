import { tinyPng } from '@sessionpix/testing';
import type { Response } from 'supertest';
import { auth, type TestOrg } from './helpers';
import { type Stack, startStack } from './stack';

describe('GET /v1/collections/{id}/items and GET /v1/items/{id}', () => {
  let stack: Stack;
  let org: TestOrg;
  let collectionId: string;
  let ids: string[];

  beforeAll(async () => {
    stack = await startStack('itemslist');
    org = await stack.newOrg('Paged Productions');
    collectionId = await stack.newCollection(org);
    const files = Array.from({ length: 5 }, (_, i) => ({ name: `p${i}.png`, bytes: tinyPng(40 + i, 30) }));
    ids = (await stack.upload(org, collectionId, files).expect(202)).body.items.map((i: { id: string }) => i.id);
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('pages with an opaque cursor, newest first, each item once', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: Response = await stack.http
        .get(`/v1/collections/${collectionId}/items`)
        .query(cursor ? { limit: 2, cursor } : { limit: 2 })
        .set(auth(org))
        .expect(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((i: { id: string }) => i.id));
      cursor = res.body.nextCursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
  });

  it('lists the same view GET /v1/items/{id} gives', async () => {
    for (const id of ids) await stack.waitForStatus(org, id, ['paused']);
    const page = await stack.http.get(`/v1/collections/${collectionId}/items?limit=1`).set(auth(org)).expect(200);
    const one = await stack.getItem(org, page.body.items[0].id);
    const { renditions: listed, ...listedRest } = page.body.items[0];
    const { renditions: got, ...gotRest } = one;
    expect(listedRest).toEqual(gotRest);
    expect(Object.keys(listed).sort()).toEqual(Object.keys(got).sort());
    expect(one).toMatchObject({ collectionId, status: 'paused', originalFilename: 'p4.png', width: 44, height: 30, retryable: false });
  });

  it('another org gets 404 for the collection and each item; bad input is a 400 naming it', async () => {
    const other = await stack.newOrg('Outsiders');
    await stack.http.get(`/v1/collections/${collectionId}/items`).set(auth(other)).expect(404);
    await stack.http.get(`/v1/items/${ids[0]}`).set(auth(other)).expect(404);
    const badCursor = await stack.http.get(`/v1/collections/${collectionId}/items?cursor=nope`).set(auth(org)).expect(400);
    expect(badCursor.body.errors).toEqual([expect.objectContaining({ field: 'cursor' })]);
    const badId = await stack.http.get('/v1/items/not-a-uuid').set(auth(org)).expect(400);
    expect(badId.body.errors).toEqual([expect.objectContaining({ field: 'id' })]);
    await stack.http.get(`/v1/items/${crypto.randomUUID()}`).set(auth(org)).expect(404);
  });
});
