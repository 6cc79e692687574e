import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import sharp from 'sharp';
import { auth, type TestOrg } from './helpers';
import { type Stack, startStack } from './stack';

const MB = 1024 * 1024;
const MAX_FILE = 1 * MB;
const MAX_REQUEST = 2 * MB;
const MAX_FILES = 3;

describe('upload size and shape limits', () => {
  let stack: Stack;
  let org: TestOrg;
  let collectionId: string;
  let photo: Buffer;

  const itemIds = async (): Promise<string[]> =>
    (await stack.http.get(`/v1/collections/${collectionId}/items?limit=100`).set(auth(org)).expect(200)).body.items.map(
      (i: { id: string }) => i.id,
    );

  beforeAll(async () => {
    stack = await startStack('uploadlimits', {
      UPLOAD_MAX_FILE_BYTES: String(MAX_FILE),
      UPLOAD_MAX_REQUEST_BYTES: String(MAX_REQUEST),
      UPLOAD_MAX_FILES_PER_REQUEST: String(MAX_FILES),
    });
    org = await stack.newOrg('Limits Ltd');
    collectionId = await stack.newCollection(org);
    photo = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#225588' } }).jpeg().toBuffer();
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('a file over the per-file limit is a 413 naming it, and the other files of the request are accepted', async () => {
    const before = await itemIds();
    const res = await stack
      .upload(org, collectionId, [
        { name: 'first.jpg', bytes: photo },
        { name: 'enormous.jpg', bytes: randomBytes(MAX_FILE + 300 * 1024) },
        { name: 'last.jpg', bytes: photo },
      ])
      .expect(413);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 413, code: 'file_too_large' });
    expect(res.body.errors).toEqual([{ field: 'file[2]', message: expect.stringContaining('enormous.jpg') }]);
    expect(res.body.errors[0].message).toContain('1 MB');

    const added = (await itemIds()).filter((id) => !before.includes(id));
    expect(added).toHaveLength(2);
    // The detail tells the client which photos did go in, so it does not send them again.
    for (const id of added) expect(res.body.detail).toContain(id);
    for (const id of added) {
      expect(await stack.waitForStatus(org, id, ['paused', 'rejected', 'failed'])).toMatchObject({ status: 'paused' });
    }
    const names = await Promise.all(added.map(async (id) => (await stack.getItem(org, id)).originalFilename));
    expect(names.sort()).toEqual(['first.jpg', 'last.jpg']);
  });

  it('more files than a request may carry is a 413 that lists the ones accepted', async () => {
    const before = await itemIds();
    const files = Array.from({ length: MAX_FILES + 1 }, (_, i) => ({ name: `n${i}.jpg`, bytes: photo }));
    const res = await stack.upload(org, collectionId, files).expect(413);
    expect(res.body).toMatchObject({ status: 413, code: 'too_many_files', detail: expect.stringContaining(`at most ${MAX_FILES}`) });
    const added = (await itemIds()).filter((id) => !before.includes(id));
    expect(added).toHaveLength(MAX_FILES);
    for (const id of added) expect(res.body.detail).toContain(id);
  });

  it('a file of exactly the limit is accepted; one byte more is not', async () => {
    const exact = Buffer.concat([photo, Buffer.alloc(MAX_FILE - photo.length)]);
    await stack.upload(org, collectionId, [{ name: 'exact.jpg', bytes: exact }]).expect(202);
    const over = await stack.upload(org, collectionId, [{ name: 'over.jpg', bytes: Buffer.concat([exact, Buffer.from([0])]) }]).expect(413);
    expect(over.body.errors).toEqual([{ field: 'file[1]', message: expect.stringContaining('over.jpg') }]);
  });

  it('a request declaring more than the per-request limit is a 413 before anything is stored', async () => {
    const before = await itemIds();
    const files = Array.from({ length: 3 }, (_, i) => ({ name: `part-${i}.jpg`, bytes: Buffer.concat([photo, randomBytes(MAX_FILE - photo.length - 1)]) }));
    const res = await stack.upload(org, collectionId, files).expect(413);
    expect(res.body).toMatchObject({ status: 413, code: 'request_too_large', detail: expect.stringContaining('2 MB') });
    expect(await itemIds()).toEqual(before);
  });

  it('a chunked request (no content-length) that outgrows the per-request limit is answered, naming the file that did not fit', async () => {
    const before = await itemIds();
    const boundary = 'spx-test-boundary';
    const files = ['c0.jpg', 'c1.jpg', 'c2.jpg'].map((name) => ({ name, bytes: Buffer.concat([photo, randomBytes(Math.floor(MAX_FILE * 0.9))]) }));
    const chunks = files.flatMap((f) => [
      Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${f.name}"\r\ncontent-type: image/jpeg\r\n\r\n`),
      f.bytes,
      Buffer.from('\r\n'),
    ]);
    chunks.push(Buffer.from(`--${boundary}--\r\n`));
    const res = await new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
      const req = httpRequest(
        `${stack.proc.httpUrl}/v1/collections/${collectionId}/items`,
        { method: 'POST', headers: { ...auth(org), 'content-type': `multipart/form-data; boundary=${boundary}`, 'transfer-encoding': 'chunked' } },
        (r) => {
          let text = '';
          r.setEncoding('utf8');
          r.on('data', (c: string) => (text += c));
          r.on('end', () => resolve({ status: r.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
        },
      );
      req.on('error', reject);
      for (const c of chunks) req.write(c);
      req.end();
    });
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ code: 'file_too_large', errors: [{ field: 'file[3]', message: expect.stringContaining('c2.jpg') }] });
    const added = (await itemIds()).filter((id) => !before.includes(id));
    expect(added).toHaveLength(2);
    for (const id of added) expect(res.body.detail).toContain(id);
  });

  it('a body that is not multipart is a 415', async () => {
    const res = await stack.http
      .post(`/v1/collections/${collectionId}/items`)
      .set(auth(org))
      .set('content-type', 'image/jpeg')
      .send(photo)
      .expect(415);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 415, code: 'unsupported_media_type' });
    const json = await stack.http.post(`/v1/collections/${collectionId}/items`).set(auth(org)).send({ file: 'x' }).expect(415);
    expect(json.body).toMatchObject({ code: 'unsupported_media_type', detail: expect.stringContaining('multipart/form-data') });
  });

  it('a multipart body without a `file` part is a 400 naming the field', async () => {
    const before = await itemIds();
    const fieldsOnly = await stack.http.post(`/v1/collections/${collectionId}/items`).set(auth(org)).field('note', 'no photo here').expect(400);
    expect(fieldsOnly.body).toMatchObject({ status: 400, code: 'validation_failed', errors: [expect.objectContaining({ field: 'file' })] });
    const misnamed = await stack.http
      .post(`/v1/collections/${collectionId}/items`)
      .set(auth(org))
      .attach('photo', photo, 'p.jpg')
      .expect(400);
    expect(misnamed.body.errors).toEqual([expect.objectContaining({ field: 'photo', message: expect.stringContaining('"file"') })]);
    expect(await itemIds()).toEqual(before);
  });

  it('another org’s collection is a 404 and stores nothing', async () => {
    const other = await stack.newOrg('Wrong Door');
    await stack.upload(other, collectionId, [{ name: 'x.jpg', bytes: photo }]).expect(404);
  });
});
