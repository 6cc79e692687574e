import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { S3Client } from '@aws-sdk/client-s3';
import { itemObjectKey, ObjectStore, PayloadTooLargeError, StorageError } from '@sessionpix/storage';
import { patternSha256, patternStream, type S3TestHarness, startS3TestHarness } from '@sessionpix/testing';
import { receivePart } from '../src/items/upload/receive-part';
import { RequestBodyError } from '../src/items/upload/request-body-error';

const MB = 1024 * 1024;
const ORG = randomUUID();

describe('receivePart: one multipart file part to S3', () => {
  let h: S3TestHarness;
  let store: ObjectStore;
  let spoolDir: string;

  beforeAll(async () => {
    h = await startS3TestHarness('spx-receive-part');
    store = new ObjectStore({
      bucket: h.bucket,
      region: 'us-east-1',
      endpoint: h.endpoint,
      forcePathStyle: true,
      sse: 'AES256',
      credentials: h.credentials,
    });
    spoolDir = mkdtempSync(join(tmpdir(), 'spx-receive-part-'));
  });

  afterAll(async () => {
    store?.destroy();
    await h?.close();
    rmSync(spoolDir, { recursive: true, force: true });
  });

  const requestsFor = (key: string) =>
    h.proxy.requests.filter((r) => decodeURIComponent(new URL(r.url, 'http://s3').pathname).endsWith(key));
  const storedSha = async (key: string, size: number) =>
    createHash('sha256')
      .update(await store.getObjectBuffer(key, { maxBytes: size }))
      .digest('hex');

  it('with its exact length as the bound, sends one PutObject as the bytes arrive, never far ahead of S3, with no local copy', async () => {
    const key = itemObjectKey(ORG, randomUUID(), 'original');
    const size = 48 * MB;
    const src = patternStream(size);
    let maxAhead = 0;
    let spooled = 0;
    const probe = setInterval(() => {
      const sent = requestsFor(key).reduce((n, r) => n + r.bodyBytes, 0);
      maxAhead = Math.max(maxAhead, src.produced() - sent);
      spooled = Math.max(spooled, readdirSync(spoolDir).length);
    }, 2);
    const part = await receivePart(store, src.stream, {
      key,
      contentType: 'application/octet-stream',
      maxBytes: 50 * MB,
      lengthBound: size,
      spoolDir,
    }).finally(() => clearInterval(probe));
    await part.stored;

    expect(part).toMatchObject({ bytes: size});
    expect(requestsFor(key).map((r) => `${r.operation} ${r.status}`)).toEqual(['PutObject 200']);
    expect(await storedSha(key, size)).toBe(patternSha256(size));
    // Read only as fast as S3 takes it, never the whole body: what is ahead is this side's stream
    // buffers plus the kernel's socket buffers to the recording proxy (several MB on loopback).
    expect(maxAhead).toBeGreaterThan(0);
    expect(maxAhead).toBeLessThan(size / 4);
    expect(spooled).toBe(0);
  });

  it('a part shorter than its bound is stored while it arrives, in one object padded with zeros to the bound', async () => {
    const key = itemObjectKey(ORG, randomUUID(), 'original');
    const size = 3 * MB + 7;
    const bound = 5 * MB;
    const part = await receivePart(store, patternStream(size).stream, {
      key,
      contentType: 'application/octet-stream',
      maxBytes: 10 * MB,
      lengthBound: bound,
      spoolDir,
    });
    expect(part).toMatchObject({ bytes: size});
    expect(readdirSync(spoolDir)).toEqual([]);
    await part.stored;
    expect(requestsFor(key).map((r) => `${r.operation} ${r.status} ${r.bodyBytes}`)).toEqual([`PutObject 200 ${bound}`]);
    const whole = await store.getObjectBuffer(key, { maxBytes: bound });
    expect(whole.subarray(size).equals(Buffer.alloc(bound - size))).toBe(true);
    // What a reader that knows the part's length gets: the part, byte for byte.
    const first = await store.getObjectBuffer(key, { maxBytes: bound, firstBytes: size });
    expect(createHash('sha256').update(first).digest('hex')).toBe(patternSha256(size));
  });

  it('an empty part with a bound is stored as an empty object, not as padding', async () => {
    const key = itemObjectKey(ORG, randomUUID(), 'original');
    const part = await receivePart(store, Readable.from([]), {
      key,
      contentType: 'application/octet-stream',
      maxBytes: 10 * MB,
      lengthBound: 2 * MB,
      spoolDir,
    });
    await part.stored;
    expect(part).toMatchObject({ bytes: 0});
    expect(await store.headObject(key)).toMatchObject({ contentLength: 0 });
  });

  it('a part longer than its bound is refused before S3 gets the announced length, and nothing stays', async () => {
    const key = itemObjectKey(ORG, randomUUID(), 'original');
    const bound = 3 * MB - 1;
    const err = await receivePart(store, patternStream(3 * MB).stream, {
      key,
      contentType: 'application/octet-stream',
      maxBytes: 10 * MB,
      lengthBound: bound,
      spoolDir,
    }).catch((e: unknown) => e);
    // Only a body that does not end with its closing boundary can run past the bound.
    expect(err).toBeInstanceOf(RequestBodyError);
    expect(await store.headObject(key)).toBeNull();
    expect(requestsFor(key).every((r) => r.operation !== 'PutObject' || (r.status !== 200 && r.bodyBytes < bound))).toBe(true);
  });

  it('S3 failing mid-part rejects with its StorageError, and nothing stays', async () => {
    // An S3 endpoint that takes at most 1 MB of a body, then answers 500 and closes.
    const failing = createServer((req, res) => {
      let got = 0;
      const fail = () => {
        if (res.headersSent) return;
        res.writeHead(500, { 'content-type': 'application/xml', connection: 'close' });
        res.end('<?xml version="1.0"?><Error><Code>InternalError</Code><Message>we broke</Message></Error>');
        req.destroy();
      };
      req.on('data', (chunk: Buffer) => {
        got += chunk.length;
        if (got >= MB) fail();
      });
      req.on('end', fail);
    });
    await new Promise<void>((ready) => failing.listen(0, '127.0.0.1', ready));
    const endpoint = `http://127.0.0.1:${(failing.address() as AddressInfo).port}`;
    const client = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials: h.credentials, maxAttempts: 1 });
    const broken = new ObjectStore(
      { bucket: h.bucket, region: 'us-east-1', endpoint, forcePathStyle: true, sse: 'AES256', credentials: h.credentials },
      client,
    );
    try {
      const key = itemObjectKey(ORG, randomUUID(), 'original');
      const err = await receivePart(broken, patternStream(8 * MB).stream, {
        key,
        contentType: 'application/octet-stream',
        maxBytes: 10 * MB,
        lengthBound: 8 * MB,
        spoolDir,
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StorageError);
      expect(readdirSync(spoolDir)).toEqual([]);
    } finally {
      client.destroy();
      failing.closeAllConnections();
      await new Promise<void>((done) => failing.close(() => done()));
    }
  });

  it('without a bound, puts the part from the local copy once it has all arrived', async () => {
    const key = itemObjectKey(ORG, randomUUID(), 'original');
    const part = await receivePart(store, patternStream(2 * MB + 5).stream, {
      key,
      contentType: 'application/octet-stream',
      maxBytes: 10 * MB,
      spoolDir,
    });
    expect(part).toMatchObject({ bytes: 2 * MB + 5});
    await part.stored;
    expect(requestsFor(key).map((r) => `${r.operation} ${r.status} ${r.bodyBytes}`)).toEqual([`PutObject 200 ${2 * MB + 5}`]);
    expect(readdirSync(spoolDir)).toEqual([]);
  });

  it.each([
    ['streamed: bounded at the limit', 5 * MB],
    ['spooled: bounded past the limit', 6 * MB],
    ['spooled: unbounded', undefined],
  ])('an over-limit part (%s) is refused, nothing past the limit is sent, and nothing stays', async (_label, bound) => {
    const key = itemObjectKey(ORG, randomUUID(), 'original');
    const limit = 5 * MB;
    const err = await receivePart(store, patternStream(6 * MB).stream, {
      key,
      contentType: 'application/octet-stream',
      maxBytes: limit,
      lengthBound: bound,
      spoolDir,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PayloadTooLargeError);
    expect(err).toMatchObject({ limitBytes: limit, key });
    expect(await store.headObject(key)).toBeNull();
    expect(requestsFor(key).every((r) => r.status !== 200 || r.operation !== 'PutObject')).toBe(true);
    expect(requestsFor(key).reduce((n, r) => n + (r.operation === 'PutObject' ? r.bodyBytes : 0), 0)).toBeLessThanOrEqual(limit);
    expect(readdirSync(spoolDir)).toEqual([]);
  });

  it("passes on the source's own error as the request body's, and keeps nothing", async () => {
    const key = itemObjectKey(ORG, randomUUID(), 'original');
    let sent = 0;
    const failing = new Readable({
      read() {
        if (sent >= 3 * MB) return void this.destroy(new Error('client went away'));
        sent += MB;
        this.push(Buffer.alloc(MB, 1));
      },
    });
    const err = await receivePart(store, failing, {
      key,
      contentType: 'application/octet-stream',
      maxBytes: 50 * MB,
      lengthBound: 8 * MB,
      spoolDir,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequestBodyError);
    expect(err).toMatchObject({ message: expect.stringContaining('client went away') });
    expect(await store.headObject(key)).toBeNull();
    expect(readdirSync(spoolDir)).toEqual([]);
  });
});
