import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

import { startRecordingProxy, type RecordingProxy } from './recording-proxy';
import { startS3Standin, type S3Standin } from './standin';

const BUCKET = 'proxy-test';
let dataDir: string;
let standin: S3Standin;
let proxy: RecordingProxy;
let s3: S3Client;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'spx-s3-proxy-'));
  standin = await startS3Standin({ dataDir, bucket: BUCKET });
  proxy = await startRecordingProxy(standin.endpoint, { verifySignatures: standin.credentials });
  s3 = new S3Client({
    endpoint: proxy.url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: standin.credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
});
afterAll(async () => {
  s3?.destroy();
  await proxy?.close();
  await standin?.close();
  rmSync(dataDir, { recursive: true, force: true });
});
beforeEach(() => proxy.clear());

describe('recording proxy', () => {
  it('records what the SDK sent, names the operation, and forwards the answer', async () => {
    await s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'a/b c.txt', Body: 'hi', ContentType: 'text/plain', ServerSideEncryption: 'AES256' }),
    );
    await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'a/b c.txt' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'a/b c.txt' }));
    expect(await got.Body!.transformToString()).toBe('hi');
    await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'a/' }));
    await s3.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: 'a/b c.txt' }] } }));

    expect(proxy.requests.map((r) => r.operation)).toEqual([
      'PutObject',
      'HeadObject',
      'GetObject',
      'ListObjectsV2',
      'DeleteObjects',
    ]);
    const put = proxy.requests[0]!;
    expect(put).toMatchObject({ method: 'PUT', status: 200, bodyBytes: 2 });
    expect(put.url).toMatch(/^\/proxy-test\/a\/b%20c\.txt/);
    expect(put.headers['x-amz-server-side-encryption']).toBe('AES256');
    expect(put.headers['content-type']).toBe('text/plain');
    // Every SDK request passed the SigV4 check, so the checker agrees with the real signer.
    expect(proxy.requests.every((r) => r.rejected === undefined)).toBe(true);
  });

  it('refuses, as S3 would, a presigned request whose signed headers or query were changed', async () => {
    const url = await getSignedUrl(
      s3,
      new PutObjectCommand({ Bucket: BUCKET, Key: 'signed.txt', ContentType: 'text/plain', ServerSideEncryption: 'AES256' }),
      { expiresIn: 60, signableHeaders: new Set(['content-type']) },
    );
    const send = (headers: Record<string, string>, target = url) =>
      fetch(target, { method: 'PUT', body: 'data', headers });

    const wrongType = await send({ 'content-type': 'text/html', 'x-amz-server-side-encryption': 'AES256' });
    expect(wrongType.status).toBe(403);
    expect(await wrongType.text()).toContain('SignatureDoesNotMatch');

    const noSse = await send({ 'content-type': 'text/plain' });
    expect(noSse.status).toBe(403);

    const extraAmz = await send({ 'content-type': 'text/plain', 'x-amz-server-side-encryption': 'AES256', 'x-amz-acl': 'public-read' });
    expect(extraAmz.status).toBe(403);
    expect(await extraAmz.text()).toContain('not signed');

    const otherKey = await send(
      { 'content-type': 'text/plain', 'x-amz-server-side-encryption': 'AES256' },
      url.replace('/signed.txt', '/elsewhere.txt'),
    );
    expect(otherKey.status).toBe(403);

    const ok = await send({ 'content-type': 'text/plain', 'x-amz-server-side-encryption': 'AES256' });
    expect(ok.status).toBe(200);
    expect(proxy.requests.map((r) => r.status)).toEqual([403, 403, 403, 403, 200]);
  });

  it('refuses unsigned requests', async () => {
    const res = await fetch(`${proxy.url}/${BUCKET}/anything`);
    expect(res.status).toBe(403);
  });
});
