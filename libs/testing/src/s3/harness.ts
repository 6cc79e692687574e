import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startRecordingProxy, type RecordingProxy } from './recording-proxy';
import { startS3Standin, type S3Standin } from './standin';

export interface S3TestHarness {
  standin: S3Standin;
  /** Point clients here: requests are recorded and their SigV4 signatures checked. */
  proxy: RecordingProxy;
  endpoint: string;
  bucket: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  dataDir: string;
  close(): Promise<void>;
}

/** A stand-in in a fresh temporary directory behind a verifying recording proxy. */
export async function startS3TestHarness(bucket: string): Promise<S3TestHarness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'spx-s3-'));
  const standin = await startS3Standin({ dataDir, bucket });
  const proxy = await startRecordingProxy(standin.endpoint, { verifySignatures: standin.credentials });
  return {
    standin,
    proxy,
    endpoint: proxy.url,
    bucket,
    credentials: standin.credentials,
    dataDir,
    async close() {
      await proxy.close();
      await standin.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
