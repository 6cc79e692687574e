import sharp from 'sharp';
import { auth, type TestOrg } from './helpers';
import { type Stack, startStack } from './stack';

const MAX_FILE = 2 * 1024 * 1024;

interface Presigned {
  uploadId: string;
  itemId: string;
  url: string;
  method: 'PUT';
  headers: Record<string, string>;
  expiresAt: string;
}

describe('presigned direct uploads', () => {
  let stack: Stack;
  let org: TestOrg;
  let collectionId: string;
  let jpeg: Buffer;

  const presign = async (body: Record<string, unknown>, status = 201) =>
    (await stack.http.post(`/v1/collections/${collectionId}/uploads`).set(auth(org)).send(body).expect(status)).body;
  const put = (p: Presigned, bytes: Buffer, headers: Record<string, string> = p.headers) =>
    fetch(p.url, { method: p.method, headers, body: bytes });
  const complete = (uploadId: string, status = 202) =>
    stack.http.post(`/v1/uploads/${uploadId}/complete`).set(auth(org)).expect(status);

  beforeAll(async () => {
    stack = await startStack('presigned', { UPLOAD_MAX_FILE_BYTES: String(MAX_FILE) });
    org = await stack.newOrg('Direct Upload Co');
    collectionId = await stack.newCollection(org);
    jpeg = await sharp({ create: { width: 900, height: 600, channels: 3, background: '#884422', noise: { type: 'gaussian', mean: 100, sigma: 25 } } })
      .jpeg()
      .toBuffer();
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('PUT with exactly the returned headers, then complete: the photo goes through ingest', async () => {
    const p: Presigned = await presign({ contentType: 'image/jpeg', contentLength: jpeg.length, filename: 'desk.jpg' });
    expect(p).toMatchObject({ method: 'PUT', uploadId: expect.any(String), itemId: expect.any(String) });
    expect(p.headers).toMatchObject({ 'content-type': 'image/jpeg', 'x-amz-server-side-encryption': 'AES256' });
    expect((await put(p, jpeg)).status).toBe(200);

    const first = await complete(p.uploadId);
    expect(first.body).toEqual({ items: [{ id: p.itemId, status: 'uploaded' }] });
    const item = await stack.waitForStatus(org, p.itemId, ['paused', 'rejected', 'failed']);
    expect(item).toMatchObject({ status: 'paused', originalFilename: 'desk.jpg', width: 900, height: 600 });
    expect(await stack.itemKeys(org.orgId, p.itemId)).toHaveLength(4); // master, its half-size copy, analysis, thumbnail

    // Completing again answers with the same item, in its current state, and starts nothing new.
    const again = await complete(p.uploadId);
    expect(again.body).toEqual({ items: [{ id: p.itemId, status: 'paused' }] });
  });

  it('two completes at once (a client retrying on a timeout) both answer with the one item', async () => {
    const p: Presigned = await presign({ contentType: 'image/jpeg', contentLength: jpeg.length });
    expect((await put(p, jpeg)).status).toBe(200);
    const [a, b] = await Promise.all([
      stack.http.post(`/v1/uploads/${p.uploadId}/complete`).set(auth(org)),
      stack.http.post(`/v1/uploads/${p.uploadId}/complete`).set(auth(org)),
    ]);
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(a.body.items[0].id).toBe(p.itemId);
    expect(b.body.items[0].id).toBe(p.itemId);
    expect(await stack.waitForStatus(org, p.itemId, ['paused', 'rejected', 'failed'])).toMatchObject({ status: 'paused' });
  });

  it('the URL is bound to the announced type and size (S3 refuses anything else)', async () => {
    const p: Presigned = await presign({ contentType: 'image/jpeg', contentLength: jpeg.length });
    expect((await put(p, jpeg, { ...p.headers, 'content-type': 'text/html' })).status).toBe(403);
    const { 'x-amz-server-side-encryption': _sse, ...withoutSse } = p.headers;
    expect((await put(p, jpeg, withoutSse)).status).toBe(403);
    expect((await put(p, Buffer.concat([jpeg, Buffer.alloc(10)]), { ...p.headers, 'content-length': String(jpeg.length + 10) })).status).toBe(403);
    expect(await stack.itemKeys(org.orgId, p.itemId)).toEqual([]);
  });

  it('complete before the PUT is a 409 that says what to do', async () => {
    const p: Presigned = await presign({ contentType: 'image/png', contentLength: 1234 });
    const res = await complete(p.uploadId, 409);
    expect(res.body).toMatchObject({ status: 409, code: 'upload_missing', detail: expect.stringMatching(/PUT it/) });
    await stack.http.get(`/v1/items/${p.itemId}`).set(auth(org)).expect(404);
  });

  it('a contentLength above the per-file limit is a 413 before anything is signed', async () => {
    const res = await presign({ contentType: 'image/jpeg', contentLength: MAX_FILE + 1 }, 413);
    expect(res).toMatchObject({ status: 413, code: 'file_too_large', errors: [expect.objectContaining({ field: 'contentLength' })] });
    expect(res.url).toBeUndefined();
  });

  it('refuses types that are not photos, and another org cannot complete the upload', async () => {
    const bad = await presign({ contentType: 'image/svg+xml', contentLength: 100 }, 400);
    expect(bad.errors).toEqual([expect.objectContaining({ field: 'contentType' })]);
    const p: Presigned = await presign({ contentType: 'image/jpeg', contentLength: jpeg.length });
    expect((await put(p, jpeg)).status).toBe(200);
    const other = await stack.newOrg('Nosy Neighbours');
    await stack.http.post(`/v1/uploads/${p.uploadId}/complete`).set(auth(other)).expect(404);
    await stack.http.post(`/v1/collections/${collectionId}/uploads`).set(auth(other)).send({ contentType: 'image/jpeg', contentLength: 10 }).expect(404);
  });
});
