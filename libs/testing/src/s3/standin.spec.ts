import { spawn } from 'node:child_process';
import { createCipheriv } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';

import { startS3StandinFromEnv } from './from-env';
import { startS3Standin, type S3Standin } from './standin';

const BUCKET = 'standin-test';
const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'spx-s3-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function clientFor(s: S3Standin): S3Client {
  return new S3Client({
    endpoint: s.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: s.credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

describe('S3 stand-in (s3rver in a child process)', () => {
  it('this Node build lacks DES without --openssl-legacy-provider, which s3rver pagination needs', () => {
    // The reason the stand-in is a child process: s3rver's continuation tokens are DES-encrypted.
    expect(() => createCipheriv('des', Buffer.alloc(8), Buffer.alloc(8))).toThrow(/unsupported/i);
  });

  it('picks a free port, creates the bucket, and paginates ListObjectsV2', async () => {
    const standin = await startS3Standin({ dataDir: tempDir(), bucket: BUCKET, port: 0 });
    try {
      expect(standin.port).toBeGreaterThan(0);
      expect(standin.endpoint).toBe(`http://127.0.0.1:${standin.port}`);
      const s3 = clientFor(standin);
      await s3.send(new HeadBucketCommand({ Bucket: BUCKET }));
      for (let i = 0; i < 5; i++) {
        await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `p/${i}`, Body: `v${i}` }));
      }
      const seen: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const page = await s3.send(
          new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'p/', MaxKeys: 2, ContinuationToken: token }),
        );
        pages++;
        seen.push(...(page.Contents ?? []).map((o) => o.Key!));
        token = page.NextContinuationToken;
      } while (token);
      expect(pages).toBe(3);
      expect(seen).toEqual(['p/0', 'p/1', 'p/2', 'p/3', 'p/4']);
      s3.destroy();
    } finally {
      await standin.close();
    }
  });

  it('keeps data across a restart on the same directory, and creating the bucket again is harmless', async () => {
    const dataDir = tempDir();
    const first = await startS3Standin({ dataDir, bucket: BUCKET });
    const s3a = clientFor(first);
    await s3a.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'kept.txt', Body: 'still here' }));
    s3a.destroy();
    await first.close();

    const second = await startS3Standin({ dataDir, bucket: BUCKET });
    try {
      const s3b = clientFor(second);
      const got = await s3b.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'kept.txt' }));
      expect(await got.Body!.transformToString()).toBe('still here');
      // Through the real API too: the bucket is already ours.
      await expect(s3b.send(new CreateBucketCommand({ Bucket: BUCKET }))).rejects.toMatchObject({
        name: expect.stringMatching(/BucketAlready(OwnedByYou|Exists)/),
      });
      s3b.destroy();
    } finally {
      await second.close();
    }
  });

  it('close() ends the child process and frees the port', async () => {
    const standin = await startS3Standin({ dataDir: tempDir(), bucket: BUCKET });
    expect(isAlive(standin.pid)).toBe(true);
    await standin.close();
    await standin.close(); // idempotent
    expect(isAlive(standin.pid)).toBe(false);
    await expect(fetch(standin.endpoint)).rejects.toThrow();
  });

  it('startS3StandinFromEnv names every missing or bad variable', async () => {
    await expect(startS3StandinFromEnv({ S3_STANDIN_PORT: 'http' })).rejects.toThrow(
      's3 stand-in: S3_STANDIN_DIR is required; S3_BUCKET is required; S3_STANDIN_PORT must be a port number, got "http"',
    );
  });

  it('the CLI starts it from the environment, and the child dies when its parent is killed', async () => {
    const cli = spawn(
      process.execPath,
      [require.resolve('vite-node/vite-node.mjs'), join(__dirname, 'cli.ts')],
      {
        env: { ...process.env, S3_STANDIN_DIR: tempDir(), S3_STANDIN_PORT: '0', S3_BUCKET: BUCKET },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: cli.stdout! }).once('line', resolve);
      cli.once('exit', (code) => reject(new Error(`cli exited with ${code}`)));
    });
    const info = JSON.parse(line) as { endpoint: string; port: number; bucket: string; pid: number };
    expect(info.bucket).toBe(BUCKET);
    const s3 = new S3Client({
      endpoint: info.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    await s3.send(new HeadBucketCommand({ Bucket: BUCKET }));
    s3.destroy();

    // SIGKILL gives the parent no chance to clean up: only the child's IPC watchdog can act.
    cli.kill('SIGKILL');
    expect(await waitUntil(() => !isAlive(info.pid), 5_000)).toBe(true);
  });
});
