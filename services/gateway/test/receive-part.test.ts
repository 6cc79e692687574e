import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { itemObjectKey, ObjectStore, PayloadTooLargeError } from '@sessionpix/storage';
import { patternSha256, patternStream, type S3TestHarness, startS3TestHarness } from '@sessionpix/testing';
import { receivePart } from '../src/items/upload/receive-part';

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

  it('with the right length guessed, sends one PutObject as the bytes arrive, never far ahead of S3', async () => {
    const key = itemObjectKey(ORG, randomUUID(), 'original');
    const size = 48 * MB;
    const src = patternStream(size);
    let maxAhead = 0;
    const probe = setInterval(() => {
      const sent = requestsFor(key).reduce((n, r) => n + r.bodyBytes, 0);
      maxAhead = Math.max(maxAhead, src.produced() - sent);
    }, 2);
    const part = await receivePart(store, src.stream, {
      key,
      contentType: 'application/octet-stream',
      maxBytes: 50 * MB,
      lengthIfLast: size,
      spoolDir,
    }).finally(() => clearInterval(probe));
    await part.stored;

    expect(part).toMatchObject({ bytes: size, speculated: true, guessedRight: true });
    expect(requestsFor(key).map((r) => `${r.operation} ${r.status}`)).toEqual(['PutObject 200']);
    expect(await storedSha(key, size)).toBe(patternSha256(size));
    // Read only as fast as S3 takes it, never the whole body: what is ahead is this side's stream
    // buffers plus the kernel's socket buffers to the recording proxy (several MB on loopback).
    expect(maxAhead).toBeGreaterThan(0);
    expect(maxAhead).toBeLessThan(size / 4);
    expect(readdirSync(spoolDir)).toEqual([]);
  });

  it.each([
    ['shorter than guessed', 3 * MB, 3 * MB + 1000],
    ['longer than guessed', 3 * MB, 3 * MB - 1],
  ])('a part %s is abandoned on the wire and stored exactly from the local copy', async (_label, size, guess) => {
    const key = itemObjectKey(ORG, randomUUID(), 'original');
    const part = await receivePart(store, patternStream(size).stream, {
      key,
      contentType: 'application/octet-stream',
      maxBytes: 10 * MB,
      lengthIfLast: guess,
      spoolDir,
    });
    await part.stored;
    expect(part).toMatchObject({ bytes: size, speculated: true, guessedRight: false });
    const sent = requestsFor(key);
    // The abandoned PutObject never got its announced length, so S3 could not have kept it.
    expect(sent.filter((r) => r.clientAborted).every((r) => r.bodyBytes < guess)).toBe(true);
    expect(sent.filter((r) => r.status === 200).map((r) => r.operation)).toEqual(['PutObject']);
    expect(await storedSha(key, size)).toBe(patternSha256(size));
    expect(readdirSync(spoolDir)).toEqual([]);
  });

  it('without a guess, puts the part from the local copy once it has all arrived', async () => {
    const key = itemObjectKey(ORG, randomUUID(), 'original');
    const part = await receivePart(store, patternStream(2 * MB + 5).stream, {
      key,
      contentType: 'application/octet-stream',
      maxBytes: 10 * MB,
      spoolDir,
    });
    expect(part).toMatchObject({ bytes: 2 * MB + 5, speculated: false });
    await part.stored;
    expect(requestsFor(key).map((r) => `${r.operation} ${r.status} ${r.bodyBytes}`)).toEqual([`PutObject 200 ${2 * MB + 5}`]);
    expect(readdirSync(spoolDir)).toEqual([]);
  });

  it.each([
    ['guessed', 6 * MB],
    ['not guessed', undefined],
  ])('an over-limit part (%s) is refused, nothing past the limit is sent, and nothing stays', async (_label, guess) => {
    const key = itemObjectKey(ORG, randomUUID(), 'original');
    const limit = 5 * MB;
    const err = await receivePart(store, patternStream(6 * MB).stream, {
      key,
      contentType: 'application/octet-stream',
      maxBytes: limit,
      lengthIfLast: guess,
      spoolDir,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PayloadTooLargeError);
    expect(err).toMatchObject({ limitBytes: limit, key });
    expect(await store.headObject(key)).toBeNull();
    expect(requestsFor(key).every((r) => r.status !== 200 || r.operation !== 'PutObject')).toBe(true);
    expect(requestsFor(key).reduce((n, r) => n + (r.operation === 'PutObject' ? r.bodyBytes : 0), 0)).toBeLessThanOrEqual(limit);
    expect(readdirSync(spoolDir)).toEqual([]);
  });

  it("passes on the source's own error and keeps nothing", async () => {
    const key = itemObjectKey(ORG, randomUUID(), 'original');
    let sent = 0;
    const failing = new Readable({
      read() {
        if (sent >= 3 * MB) return void this.destroy(new Error('client went away'));
        sent += MB;
        this.push(Buffer.alloc(MB, 1));
      },
    });
    await expect(
      receivePart(store, failing, { key, contentType: 'application/octet-stream', maxBytes: 50 * MB, lengthIfLast: 8 * MB, spoolDir }),
    ).rejects.toThrow('client went away');
    expect(await store.headObject(key)).toBeNull();
    expect(readdirSync(spoolDir)).toEqual([]);
  });
});
