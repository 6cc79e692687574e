import { randomBytes } from 'node:crypto';
import { OBJECT_CREATING_OPERATIONS, type RecordedRequest } from '@sessionpix/testing';
import sharp from 'sharp';
import { auth, type TestOrg } from './helpers';
import { BUCKET, type Stack, startStack } from './stack';

const DONE = ['paused', 'rejected', 'failed'];

describe('encryption at rest requested on the wire', () => {
  let stack: Stack;
  let org: TestOrg;
  let collectionId: string;

  beforeAll(async () => {
    stack = await startStack('p2sse');
    org = await stack.newOrg('Encrypted Echo');
    collectionId = await stack.newCollection(org);
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('P2: every PutObject and CopyObject the system sends carries x-amz-server-side-encryption', async () => {
    stack.s3.proxy.clear();
    const small = await sharp({ create: { width: 800, height: 600, channels: 3, background: '#224466' } }).jpeg().toBuffer();
    // Two photos in one request: the first streams to S3 while it arrives (zero-padded to what the
    // body leaves room for), the second is put from the gateway's local copy. The big one is a
    // small picture with bytes after its end marker, so decoding it stays cheap.
    const big = Buffer.concat([
      await sharp({ create: { width: 640, height: 480, channels: 3, background: '#664422' } }).jpeg().toBuffer(),
      randomBytes(9 * 1024 * 1024),
    ]);

    // Multipart form upload: the raw uploads, then the renditions ingest writes.
    const res = await stack.upload(org, collectionId, [{ name: 'small.jpg', bytes: small }, { name: 'big.jpg', bytes: big }]).expect(202);
    const [smallId, bigId] = res.body.items.map((i: { id: string }) => i.id);
    await stack.waitForStatus(org, smallId, DONE);
    expect((await stack.waitForStatus(org, bigId, DONE)).status).toBe('paused');
    // A duplicate: its renditions are server-side copies.
    const dup = await stack.upload(org, collectionId, [{ name: 'small-again.jpg', bytes: small }]).expect(202);
    expect((await stack.waitForStatus(org, dup.body.items[0].id, DONE)).sourceItemId).toBe(smallId);
    // A direct upload: the client's PUT to the presigned URL.
    const p = (
      await stack.http
        .post(`/v1/collections/${collectionId}/uploads`)
        .set(auth(org))
        .send({ contentType: 'image/jpeg', contentLength: small.length + 1 })
        .expect(201)
    ).body;
    const direct = Buffer.concat([small, Buffer.from([0])]);
    expect((await fetch(p.url, { method: 'PUT', headers: p.headers, body: direct })).status).toBe(200);
    await stack.http.post(`/v1/uploads/${p.uploadId}/complete`).set(auth(org)).expect(202);
    await stack.waitForStatus(org, p.itemId, DONE);

    const creating = stack.s3.proxy.requests.filter((r) => OBJECT_CREATING_OPERATIONS.includes(r.operation));
    const ops = new Set(creating.map((r) => r.operation));
    expect([...ops].sort()).toEqual(['CopyObject', 'PutObject']);
    const originals = creating.filter((r) => r.operation === 'PutObject' && r.url.includes('/original'));
    expect(originals.map((r) => r.url).filter((url) => url.includes(smallId) || url.includes(bigId))).toHaveLength(2);
    const keyOf = (r: RecordedRequest) => decodeURIComponent(new URL(r.url, 'http://s3').pathname).slice(BUCKET.length + 2);
    const kinds = new Set(creating.map((r) => keyOf(r).split('/').pop()));
    expect([...kinds].sort()).toEqual(['analysis.jpg', 'master-half.jpg', 'master.jpg', 'original', 'thumb.webp']);
    const unencrypted = creating
      .filter((r) => r.headers['x-amz-server-side-encryption'] !== 'AES256')
      .map((r) => `${r.operation} ${keyOf(r)}`);
    expect(unencrypted).toEqual([]);
    // And every one landed (the proxy checks signatures, so a header that was sent but not signed
    // would have been refused, not silently stored).
    expect(creating.filter((r) => r.status !== 200).map((r) => `${r.operation} ${r.status} ${r.rejected ?? ''}`)).toEqual([]);
    expect(creating.every((r) => keyOf(r).startsWith(`orgs/${org.orgId}/items/`))).toBe(true);
  });
});
