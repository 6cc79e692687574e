import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { gatewayService } from '@sessionpix/gateway';
import { eventually, startTestProcess } from '@sessionpix/testing';
import { auth, type TestOrg } from './helpers';
import { BUCKET, type Stack, startStack } from './stack';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface RawAnswer {
  status: number;
  body: string;
}

/** Sends a hand-framed multipart body, optionally as chunked transfer encoding, in small writes. */
function postRaw(url: string, headers: Record<string, string>, body: Buffer, opts: { chunked?: boolean } = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: 'POST', headers: opts.chunked ? headers : { ...headers, 'content-length': String(body.length) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    for (let at = 0; at < body.length; at += 100_000) req.write(body.subarray(at, at + 100_000));
    req.end();
  });
}

function framed(boundary: string, files: { name: string; bytes: Buffer }[], ending: string): Buffer {
  const parts = files.flatMap((f, i) => [
    Buffer.from(`${i === 0 ? '' : '\r\n'}--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${f.name}"\r\nContent-Type: image/jpeg\r\n\r\n`),
    f.bytes,
  ]);
  return Buffer.concat([...parts, Buffer.from(`\r\n--${boundary}--${ending}`)]);
}

describe('multipart uploads on their way to S3', () => {
  let stack: Stack;
  let org: TestOrg;
  let collectionId: string;
  let spoolDir: string;

  /** The raw object, whole. */
  const storedObject = async (itemId: string): Promise<Buffer> => {
    const out = await stack.s3Client.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: `orgs/${org.orgId}/items/${itemId}/original` }),
    );
    return Buffer.from(await out.Body!.transformToByteArray());
  };
  /** The photo as ingest reads it: as many of the raw object's bytes as the row records. */
  const stored = async (itemId: string): Promise<Buffer> => {
    const object = await storedObject(itemId);
    const byteSize = (await stack.itemRow(org.orgId, itemId))?.byteSize;
    expect(byteSize).toBeTypeOf('number');
    expect(object.length).toBeGreaterThanOrEqual(byteSize!);
    return object.subarray(0, byteSize!);
  };
  const originalRequests = (itemId: string) =>
    stack.s3.proxy.requests.filter((r) => decodeURIComponent(r.url).includes(`/items/${itemId}/original`));

  beforeAll(async () => {
    spoolDir = mkdtempSync(join(tmpdir(), 'spx-spool-test-'));
    // The gateway alone: nothing ingests the raw uploads away, so the stored bytes can be read back.
    stack = await startStack('uploadstream', { SESSIONPIX_SERVICES: 'gateway', UPLOAD_SPOOL_DIR: spoolDir });
    org = await stack.newOrg('Streaming Studio');
    collectionId = await stack.newCollection(org);
  });

  afterAll(async () => {
    await stack?.close();
    rmSync(spoolDir, { recursive: true, force: true });
  });

  it('a photo alone in its request is one PutObject sent while it arrives, stored byte for byte', async () => {
    stack.s3.proxy.clear();
    const photo = randomBytes(3 * 1024 * 1024 + 17);
    const res = await stack.upload(org, collectionId, [{ name: 'desk.jpg', bytes: photo }]).expect(202);
    const id = res.body.items[0].id as string;
    expect(originalRequests(id).map((r) => `${r.operation} ${r.status}`)).toEqual(['PutObject 200']);
    expect(sha(await stored(id))).toBe(sha(photo));
    // Bounded by the body's length less the shortest closing: the usual final CRLF is padding.
    const object = await storedObject(id);
    expect(object.length).toBe(photo.length + 2);
    expect(object.subarray(photo.length).equals(Buffer.alloc(2))).toBe(true);
    expect(readdirSync(spoolDir)).toEqual([]);
  });

  it('several photos in one request are each stored byte for byte, and answered in the order sent', async () => {
    const photos = [5_000_000, 1, 2_500_000, 700_000].map((n) => randomBytes(n));
    const res = await stack
      .upload(org, collectionId, photos.map((bytes, i) => ({ name: `p${i}.jpg`, bytes })))
      .expect(202);
    const ids = res.body.items.map((i: { id: string }) => i.id) as string[];
    expect(ids).toHaveLength(photos.length);
    for (const [i, id] of ids.entries()) {
      expect((await stack.getItem(org, id)).originalFilename).toBe(`p${i}.jpg`);
      expect(sha(await stored(id))).toBe(sha(photos[i]!));
      expect(originalRequests(id).map((r) => `${r.operation} ${r.status}`)).toEqual(['PutObject 200']);
    }
    // The first went to S3 while it arrived, bounded by the rest of the body and zero-padded to
    // that bound (the row says how much of it is the photo); the others are exact.
    const first = await storedObject(ids[0]!);
    expect(first.length).toBeGreaterThan(photos.reduce((n, p) => n + p.length, 0));
    expect(first.subarray(photos[0]!.length).equals(Buffer.alloc(first.length - photos[0]!.length))).toBe(true);
    for (const [i, id] of ids.slice(1).entries()) expect((await storedObject(id)).length).toBe(photos[i + 1]!.length);
    expect(readdirSync(spoolDir)).toEqual([]);
  });

  it.each([
    ['without the final CRLF', ''],
    ['with an epilogue after the closing boundary', '\r\nsent by a client that says goodbye\r\n'],
  ])('a body ended %s is still stored exactly', async (_label, ending) => {
    const photo = randomBytes(1_200_000);
    const boundary = `spx${randomBytes(8).toString('hex')}`;
    const answer = await postRaw(
      `${stack.proc.httpUrl}/v1/collections/${collectionId}/items`,
      { ...auth(org), 'content-type': `multipart/form-data; boundary=${boundary}` },
      framed(boundary, [{ name: 'odd.jpg', bytes: photo }], ending),
    );
    expect(answer.status).toBe(202);
    const id = JSON.parse(answer.body).items[0].id as string;
    expect(sha(await stored(id))).toBe(sha(photo));
    expect(readdirSync(spoolDir)).toEqual([]);
  });

  it('a chunked request (no Content-Length) is stored exactly', async () => {
    const photos = [randomBytes(900_000), randomBytes(1_500_000)];
    const boundary = `spx${randomBytes(8).toString('hex')}`;
    const answer = await postRaw(
      `${stack.proc.httpUrl}/v1/collections/${collectionId}/items`,
      { ...auth(org), 'content-type': `multipart/form-data; boundary=${boundary}` },
      framed(boundary, photos.map((bytes, i) => ({ name: `c${i}.jpg`, bytes })), '\r\n'),
      { chunked: true },
    );
    expect(answer.status).toBe(202);
    const ids = JSON.parse(answer.body).items.map((i: { id: string }) => i.id) as string[];
    for (const [i, id] of ids.entries()) expect(sha(await stored(id))).toBe(sha(photos[i]!));
  });

  it('a client that hangs up mid-photo leaves no item, no object and no local copy', async () => {
    const before = (await stack.http.get(`/v1/collections/${collectionId}/items?limit=100`).set(auth(org)).expect(200)).body.items.length;
    stack.s3.proxy.clear();
    const boundary = `spx${randomBytes(8).toString('hex')}`;
    const body = framed(boundary, [{ name: 'cut.jpg', bytes: randomBytes(4_000_000) }], '\r\n');
    await new Promise<void>((resolve) => {
      const req = httpRequest(`${stack.proc.httpUrl}/v1/collections/${collectionId}/items`, {
        method: 'POST',
        headers: { ...auth(org), 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(body.length) },
      });
      req.on('error', () => resolve());
      req.write(body.subarray(0, 1_500_000), () => setTimeout(() => req.destroy(), 200));
      req.on('close', () => resolve());
    });
    await eventually(async () => (readdirSync(spoolDir).length === 0 ? true : undefined), 10_000, 'the local copy to go');
    await eventually(
      async () => {
        const items = (await stack.http.get(`/v1/collections/${collectionId}/items?limit=100`).set(auth(org)).expect(200)).body.items;
        return items.length === before ? true : undefined;
      },
      10_000,
      'the item row to go',
    );
    // The PutObject begun while the photo arrived was abandoned, never completed.
    const puts = stack.s3.proxy.requests.filter((r) => r.operation === 'PutObject');
    expect(puts.every((r) => r.status !== 200)).toBe(true);
  });

  it("another org's collection is a 404, and the photo it began storing is removed", async () => {
    const other = await stack.newOrg('Wrong Door');
    stack.s3.proxy.clear();
    await stack.upload(other, collectionId, [{ name: 'x.jpg', bytes: randomBytes(800_000) }]).expect(404);
    const keys = await stack.s3Client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `orgs/${other.orgId}/` }));
    expect(keys.Contents ?? []).toEqual([]);
    expect(readdirSync(spoolDir)).toEqual([]);
  });

  it('a local disk that fails mid-request is a 503 naming the photos stored before it', async () => {
    const first = randomBytes(600_000);
    rmSync(spoolDir, { recursive: true, force: true });
    try {
      // The first photo streams to S3 with no local copy; the second needs the disk.
      const res = await stack
        .upload(org, collectionId, [
          { name: 'kept.jpg', bytes: first },
          { name: 'lost.jpg', bytes: randomBytes(600_000) },
        ])
        .expect(503);
      expect(res.body).toMatchObject({ status: 503, code: 'storage_unavailable', detail: expect.stringContaining('1 photo(s)') });
      const keptId = /accepted: (\S+)$/.exec(res.body.detail as string)?.[1];
      expect(keptId).toBeDefined();
      expect((await stack.getItem(org, keptId!)).originalFilename).toBe('kept.jpg');
      expect(sha(await stored(keptId!))).toBe(sha(first));
    } finally {
      mkdirSync(spoolDir, { recursive: true });
    }
  });

  it.each([
    ['with a Content-Length', false],
    ['chunked', true],
  ])('a body (%s) that ends without its closing boundary is a 400, and nothing of it is kept', async (_label, chunked) => {
    const before = (await stack.http.get(`/v1/collections/${collectionId}/items?limit=100`).set(auth(org)).expect(200)).body.items.length;
    stack.s3.proxy.clear();
    const boundary = `spx${randomBytes(8).toString('hex')}`;
    const whole = framed(boundary, [{ name: 'cut.jpg', bytes: randomBytes(700_000) }], '\r\n');
    const unterminated = whole.subarray(0, whole.length - `\r\n--${boundary}--\r\n`.length);
    const answer = await postRaw(
      `${stack.proc.httpUrl}/v1/collections/${collectionId}/items`,
      { ...auth(org), 'content-type': `multipart/form-data; boundary=${boundary}` },
      unterminated,
      { chunked },
    );
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({ status: 400, code: 'malformed_body', detail: expect.stringContaining('multipart body') });
    const items = (await stack.http.get(`/v1/collections/${collectionId}/items?limit=100`).set(auth(org)).expect(200)).body.items;
    expect(items).toHaveLength(before);
    expect(stack.s3.proxy.requests.filter((r) => r.operation === 'PutObject' && r.status === 200)).toEqual([]);
  });

  it('start-up refuses a spool directory it cannot write, naming UPLOAD_SPOOL_DIR', async () => {
    const config = { ...stack.config, UPLOAD_SPOOL_DIR: join(spoolDir, 'does-not-exist') };
    await expect(startTestProcess(config, [gatewayService])).rejects.toThrow(/UPLOAD_SPOOL_DIR/);
  });
});
