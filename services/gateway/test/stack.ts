import { get as httpGet, type IncomingMessage } from 'node:http';
import { DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { AppConfig } from '@sessionpix/config';
import { emForOrg, Item, MikroORM } from '@sessionpix/db';
import { gatewayService } from '@sessionpix/gateway';
import { ingestService } from '@sessionpix/ingest';
import type { RunningProcess } from '@sessionpix/runtime';
import {
  createTestDatabase,
  eventually,
  type S3TestHarness,
  s3TestEnv,
  startS3TestHarness,
  startTestProcess,
  type TestDatabase,
  testConfig,
} from '@sessionpix/testing';
import { visionPass1Service } from '@sessionpix/vision-pass-1';
import { visionPass2Service } from '@sessionpix/vision-pass-2';
import request from 'supertest';
import { auth, createOrg, type TestOrg } from './helpers';

/**
 * The "photos in" stack for one test file: a fresh database, an S3 stand-in behind the
 * recording, signature-checking proxy, and one process running gateway + ingest + both vision
 * passes. With VISION_ENABLED=false every usable photo ends `paused` (vision_not_configured).
 */
export interface Stack {
  config: AppConfig;
  proc: RunningProcess;
  s3: S3TestHarness;
  /** Straight to the stand-in (not through the proxy), so test reads are not recorded. */
  s3Client: S3Client;
  orm: MikroORM;
  http: ReturnType<typeof request>;
  db: TestDatabase;
  newOrg(name: string): Promise<TestOrg>;
  newCollection(org: TestOrg, name?: string): Promise<string>;
  /** POST the files as parts named `file` of one multipart request. */
  upload(org: TestOrg, collectionId: string, files: UploadFile[]): request.Test;
  getItem(org: TestOrg, itemId: string): Promise<ItemBody>;
  /** Waits (via GET /v1/items/{id}) until the item is in one of `statuses`. */
  waitForStatus(org: TestOrg, itemId: string, statuses: string[], timeoutMs?: number): Promise<ItemBody>;
  /** Every key the store holds under `orgs/{org}/items/{item}/`. */
  itemKeys(orgId: string, itemId: string): Promise<string[]>;
  /** A row read directly, bypassing the API (tombstones included). */
  itemRow(orgId: string, itemId: string): Promise<Item | null>;
  close(): Promise<void>;
}

export interface UploadFile {
  name: string;
  bytes: Buffer;
  contentType?: string;
}

export interface ItemBody {
  id: string;
  collectionId: string;
  status: string;
  reasonCode: string | null;
  reason: string | null;
  retryable: boolean;
  originalFilename: string | null;
  width: number | null;
  height: number | null;
  sourceItemId: string | null;
  renditions: { master?: { url: string }; analysis?: { url: string }; thumbnail?: { url: string } };
}

export const BUCKET = 'spx-spine-test';
export const SERVICES = [gatewayService, ingestService, visionPass1Service, visionPass2Service];

export async function startStack(label: string, env: Record<string, string> = {}): Promise<Stack> {
  const s3 = await startS3TestHarness(BUCKET);
  const db = await createTestDatabase(label);
  const config = testConfig({
    DATABASE_URL: db.url,
    SESSIONPIX_SERVICES: 'gateway,ingest,vision-pass-1,vision-pass-2',
    // Also puts the stand-in's key pair in this process's environment (the SDK's default chain).
    ...s3TestEnv(s3),
    VISION_ENABLED: 'false',
    ...env,
  });
  const proc = await startTestProcess(config, SERVICES);
  const orm = proc.app.get<MikroORM>(MikroORM);
  const http = request(proc.httpUrl!);
  const s3Client = new S3Client({
    region: 'us-east-1',
    endpoint: s3.standin.endpoint,
    forcePathStyle: true,
    credentials: s3.credentials,
  });

  const getItem = async (org: TestOrg, itemId: string): Promise<ItemBody> =>
    (await http.get(`/v1/items/${itemId}`).set(auth(org)).expect(200)).body as ItemBody;

  return {
    config,
    proc,
    s3,
    s3Client,
    orm,
    http,
    db,
    newOrg: (name) => createOrg(orm, name, config.apiKeyPepper),
    async newCollection(org, name = 'Session') {
      return (await http.post('/v1/collections').set(auth(org)).send({ name }).expect(201)).body.id as string;
    },
    upload(org, collectionId, files) {
      let req = http.post(`/v1/collections/${collectionId}/items`).set(auth(org));
      for (const f of files) {
        req = req.attach('file', f.bytes, { filename: f.name, contentType: f.contentType ?? 'application/octet-stream' });
      }
      return req;
    },
    getItem,
    waitForStatus(org, itemId, statuses, timeoutMs = 30_000) {
      return eventually(
        async () => {
          const item = await getItem(org, itemId);
          return statuses.includes(item.status) ? item : undefined;
        },
        timeoutMs,
        `item ${itemId} to be ${statuses.join(' or ')}`,
      );
    },
    async itemKeys(orgId, itemId) {
      const out = await s3Client.send(
        new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `orgs/${orgId}/items/${itemId}/` }),
      );
      return (out.Contents ?? []).map((o) => o.Key!).sort();
    },
    itemRow: (orgId, itemId) =>
      emForOrg(orm, orgId).findOne(Item, { id: itemId }, { filters: { notDeleted: false } }),
    async close() {
      await proc?.close();
      s3Client.destroy();
      await s3?.close();
      await db?.drop();
    },
  };
}

/** Removes objects straight from the stand-in (to simulate a lost upload). */
export async function deleteKeys(stack: Stack, keys: string[]): Promise<void> {
  if (keys.length === 0) return;
  await stack.s3Client.send(
    new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: keys.map((Key) => ({ Key })) } }),
  );
}

/** Downloads a presigned URL (the rendition links the API hands out). */
export async function download(url: string): Promise<Buffer> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

export interface SseEvent {
  event?: string;
  data: Record<string, unknown>;
}

/**
 * Opens a server-sent event stream with plain http.get and collects every `data:` event.
 * Resolves once the response headers arrive (or with the status when it is not 200).
 */
export function openEventStream(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; events: SseEvent[]; body: string; close(): void; response: IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const req = httpGet(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      const events: SseEvent[] = [];
      let buffer = '';
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const lines = block.split('\n');
          const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim());
          if (data.length === 0) continue;
          const event = lines.find((l) => l.startsWith('event:'))?.slice(6).trim();
          events.push({ event, data: JSON.parse(data.join('\n')) as Record<string, unknown> });
        }
      });
      res.on('error', () => undefined);
      resolve({ status: res.statusCode ?? 0, events, get body() { return body; }, close: () => req.destroy(), response: res });
    });
    req.on('error', reject);
  });
}
