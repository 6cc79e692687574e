import sharp from 'sharp';
import { auth, type TestOrg } from '../../gateway/test/helpers';
import { download, type ItemBody, type Stack, startStack } from '../../gateway/test/stack';

const DONE = ['paused', 'rejected', 'failed', 'analyzed'];

/** A distinct decodable photo per seed, so the cases below never dedupe against each other. */
function photo(seed: number): Promise<Buffer> {
  return sharp({
    create: { width: 640, height: 480, channels: 3, background: { r: seed * 40, g: 90, b: 200 - seed * 20 }, noise: { type: 'gaussian', mean: 128, sigma: 20 } },
  })
    .jpeg({ quality: 80 })
    .toBuffer();
}

describe('ingest: the same photo twice (dedupe by hash within the org)', () => {
  let stack: Stack;
  let orgA: TestOrg;
  let orgB: TestOrg;
  let colA: string;
  let colB: string;

  const uploadOne = async (org: TestOrg, col: string, bytes: Buffer, name: string): Promise<string> =>
    (await stack.upload(org, col, [{ name, bytes }]).expect(202)).body.items[0].id;

  async function expectOwnRenditions(org: TestOrg, item: ItemBody): Promise<void> {
    const prefix = `orgs/${org.orgId}/items/${item.id}/`;
    expect(await stack.itemKeys(org.orgId, item.id)).toEqual([`${prefix}analysis.jpg`, `${prefix}master-half.jpg`, `${prefix}master.jpg`, `${prefix}thumb.webp`]);
    for (const kind of ['master', 'analysis', 'thumbnail'] as const) {
      expect(item.renditions[kind]!.url).toContain(item.id);
      expect((await download(item.renditions[kind]!.url)).length).toBeGreaterThan(0);
    }
  }

  beforeAll(async () => {
    stack = await startStack('ingestdedupe');
    orgA = await stack.newOrg('Dupe Studios');
    orgB = await stack.newOrg('Other Rooms');
    colA = await stack.newCollection(orgA);
    colB = await stack.newCollection(orgB);
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('a later upload of the same bytes points at the first, ends in the same status, with its own renditions', async () => {
    const bytes = await photo(1);
    const first = await stack.waitForStatus(orgA, await uploadOne(orgA, colA, bytes, 'a.jpg'), DONE);
    const second = await stack.waitForStatus(orgA, await uploadOne(orgA, colA, bytes, 'a-again.jpg'), DONE);
    expect(first).toMatchObject({ status: 'paused', sourceItemId: null });
    expect(second).toMatchObject({ status: first.status, reasonCode: first.reasonCode, sourceItemId: first.id });
    expect([second.width, second.height]).toEqual([first.width, first.height]);
    await expectOwnRenditions(orgA, second);
    // The copies are the same pictures, not references to the first item's objects.
    expect(await download(second.renditions.master!.url)).toEqual(await download(first.renditions.master!.url));
  });

  it('two copies in one request: the later one waits for and points at the earlier one', async () => {
    const bytes = await photo(2);
    const res = await stack
      .upload(orgA, colA, [
        { name: 'b1.jpg', bytes },
        { name: 'b2.jpg', bytes },
      ])
      .expect(202);
    const [id1, id2] = res.body.items.map((i: { id: string }) => i.id);
    const [one, two] = await Promise.all([stack.waitForStatus(orgA, id1, DONE), stack.waitForStatus(orgA, id2, DONE)]);
    expect(one).toMatchObject({ status: 'paused', sourceItemId: null });
    expect(two).toMatchObject({ status: 'paused', sourceItemId: id1 });
    await expectOwnRenditions(orgA, two);
    // The first copy's raw object ran on past it (zero padding to the rest of the body's length);
    // ingest read only the photo's bytes of it, so both hashed alike.
    const rows = await Promise.all([id1, id2].map((id: string) => stack.itemRow(orgA.orgId, id)));
    expect(rows.map((r) => r?.byteSize)).toEqual([bytes.length, bytes.length]);
    expect(rows[0]?.sha256).toBe(rows[1]?.sha256);
  });

  it('direct uploads completed out of order still dedupe: the later arrival points at the earlier one', async () => {
    const bytes = await photo(4);
    const presign = async () =>
      (
        await stack.http
          .post(`/v1/collections/${colA}/uploads`)
          .set(auth(orgA))
          .send({ contentType: 'image/jpeg', contentLength: bytes.length })
          .expect(201)
      ).body as { uploadId: string; itemId: string; url: string; headers: Record<string, string> };
    // Both item ids are fixed now, in this order; the photos then arrive the other way round.
    const early = await presign();
    const late = await presign();
    for (const p of [early, late]) expect((await fetch(p.url, { method: 'PUT', headers: p.headers, body: bytes })).status).toBe(200);
    await stack.http.post(`/v1/uploads/${late.uploadId}/complete`).set(auth(orgA)).expect(202);
    const first = await stack.waitForStatus(orgA, late.itemId, DONE);
    await stack.http.post(`/v1/uploads/${early.uploadId}/complete`).set(auth(orgA)).expect(202);
    const second = await stack.waitForStatus(orgA, early.itemId, DONE);
    expect(first).toMatchObject({ status: 'paused', sourceItemId: null });
    expect(second).toMatchObject({ status: 'paused', sourceItemId: late.itemId });
    await expectOwnRenditions(orgA, second);
  });

  it('the same bytes in another org are processed independently', async () => {
    const bytes = await photo(3);
    const inA = await stack.waitForStatus(orgA, await uploadOne(orgA, colA, bytes, 'c.jpg'), DONE);
    const inB = await stack.waitForStatus(orgB, await uploadOne(orgB, colB, bytes, 'c.jpg'), DONE);
    expect(inA).toMatchObject({ status: 'paused', sourceItemId: null });
    expect(inB).toMatchObject({ status: 'paused', sourceItemId: null });
    await expectOwnRenditions(orgB, inB);
    // And another org's item id is not even visible.
    await stack.http.get(`/v1/items/${inA.id}`).set({ authorization: `Bearer ${orgB.apiKey}` }).expect(404);
  });

  it('a copy of a rejected upload is rejected the same way, without decoding it again', async () => {
    const text = Buffer.from('not a photo at all, just some text that claims to be one\n'.repeat(4));
    const first = await stack.waitForStatus(orgA, await uploadOne(orgA, colA, text, 'd.jpg'), DONE);
    const second = await stack.waitForStatus(orgA, await uploadOne(orgA, colA, text, 'd2.jpg'), DONE);
    expect(first).toMatchObject({ status: 'rejected', reasonCode: 'unsupported_type' });
    expect(second).toMatchObject({ status: 'rejected', reasonCode: 'unsupported_type', reason: first.reason, sourceItemId: first.id });
    expect(await stack.itemKeys(orgA.orgId, second.id)).toEqual([]);
  });
});
