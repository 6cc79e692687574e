import { spawn, type ChildProcess } from 'node:child_process';
import { get as httpGet } from 'node:http';
import { join } from 'node:path';
import type { AppConfig } from '@sessionpix/config';
import { emForSystem, MikroORM, Organization } from '@sessionpix/db';
import { gatewayService, issueApiKey } from '@sessionpix/gateway';
import { ingestService } from '@sessionpix/ingest';
import type { RunningProcess, ServiceDefinition } from '@sessionpix/runtime';
import {
  type ConverseStandin,
  type ConverseStandinOptions,
  createTestDatabase,
  eventually,
  type S3TestHarness,
  startConverseStandin,
  startS3TestHarness,
  startTestProcess,
  type TestDatabase,
  testConfig,
  uniquePrefix,
} from '@sessionpix/testing';
import { visionPass1Service } from '@sessionpix/vision-pass-1';
import { visionPass2Service } from '@sessionpix/vision-pass-2';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import request from 'supertest';

export const BUCKET = 'spx-system-test';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const MAIN_JS = join(__dirname, '..', '..', 'dist', 'main.js');

export const SERVICES = { gateway: gatewayService, ingest: ingestService, pass1: visionPass1Service, pass2: visionPass2Service };
export const ALL_SERVICES: ServiceDefinition[] = [gatewayService, ingestService, visionPass1Service, visionPass2Service];

/**
 * The edges a sessionpix process talks to, all real or stand-ins on localhost: a fresh
 * PostgreSQL database, an S3 stand-in behind the signature-checking proxy, the Bedrock Converse
 * stand-in, and a queue prefix of its own on the shared Redis.
 */
export interface Edges {
  db: TestDatabase;
  s3: S3TestHarness;
  standin: ConverseStandin;
  prefix: string;
  /** The environment a sessionpix process needs to use these edges (in-process or a child). */
  env: Record<string, string>;
  sql<T extends Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export async function startEdges(label: string, standinOptions: ConverseStandinOptions = {}): Promise<Edges> {
  const s3 = await startS3TestHarness(BUCKET);
  // The S3 and Bedrock clients use the SDK's default credential chain: in tests that is the
  // environment, set to the stand-in's key pair (the S3 proxy checks every signature).
  process.env.AWS_ACCESS_KEY_ID = s3.credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = s3.credentials.secretAccessKey;
  const standin = await startConverseStandin(standinOptions);
  const db = await createTestDatabase(label);
  const prefix = uniquePrefix();
  const pg = new Client({ connectionString: db.url });
  await pg.connect();
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: db.url,
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    AWS_REGION: 'us-east-1',
    S3_BUCKET: BUCKET,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
    AWS_ENDPOINT_URL_BEDROCK_RUNTIME: standin.url,
    VISION_ENABLED: 'auto',
    VISION_THROTTLE_PAUSE_MS: '200',
    SWEEP_INTERVAL_SECONDS: '10',
    SWEEP_GRACE_SECONDS: '2',
    SHUTDOWN_GRACE_MS: '5000',
    PORT: '0',
    OPS_PORT: '0',
  };
  return {
    db,
    s3,
    standin,
    prefix,
    env,
    sql: async (text, params) => (await pg.query(text, params)).rows,
    async close() {
      await pg.end().catch(() => undefined);
      await standin.close();
      await s3.close();
      await db.drop();
      await deletePrefixKeys(prefix);
    },
  };
}

/** A sessionpix process inside the test process, on the given edges. */
export interface System {
  config: AppConfig;
  proc: RunningProcess;
  orm: MikroORM;
  close(): Promise<void>;
}

export async function startSystem(
  edges: Edges,
  services: ServiceDefinition[],
  env: Record<string, string> = {},
): Promise<System> {
  const config = testConfig({
    ...edges.env,
    SESSIONPIX_SERVICES: services.map((s) => s.name).join(','),
    ...env,
  });
  const proc = await startTestProcess(config, services);
  return { config, proc, orm: proc.app.get(MikroORM), close: () => proc.close() };
}

/**
 * `node apps/sessionpix/dist/main.js` as a separate process (built dist), with the edges'
 * environment; resolves once it reports it started.
 */
export interface ChildSystem {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function startChild(edges: Edges, services: string, env: Record<string, string> = {}): Promise<ChildSystem> {
  const child = spawn(process.execPath, [MAIN_JS], {
    env: { ...process.env, ...edges.env, LOG_LEVEL: 'warn', SESSIONPIX_SERVICES: services, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let gone = false;
  void exited.then(() => (gone = true));
  await eventually(
    async () => {
      if (gone) throw new Error(`the child exited before it started:\n${output}`);
      return output.includes('"msg":"sessionpix started"') ? true : undefined;
    },
    30_000,
    'the child process to start',
  );
  return { child, output: () => output, exited };
}

/** Removes every Redis key under a queue prefix (this test's only; Redis is shared). */
export async function deletePrefixKeys(prefix: string): Promise<number> {
  const redis = new Redis(REDIS_URL);
  let removed = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) removed += await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return removed;
}

export interface TestOrg {
  orgId: string;
  name: string;
  headers: { authorization: string };
}

/** The public API as a client sees it (the gateway must run in `system`). */
export class ApiClient {
  readonly http: ReturnType<typeof request>;

  constructor(private readonly system: System) {
    this.http = request(system.proc.httpUrl!);
  }

  async newOrg(name: string): Promise<TestOrg> {
    const em = emForSystem(this.system.orm);
    const org = em.create(Organization, { name });
    await em.flush();
    const key = issueApiKey(em, org.id, 'system-test', this.system.config.apiKeyPepper);
    await em.flush();
    return { orgId: org.id, name, headers: { authorization: `Bearer ${key.apiKey}` } };
  }

  async newCollection(org: TestOrg, name: string): Promise<string> {
    const res = await this.http.post('/v1/collections').set(org.headers).send({ name }).expect(201);
    return res.body.id as string;
  }

  /** One multipart request, each photo a part named `file`; returns the new item ids in order. */
  async upload(org: TestOrg, collectionId: string, files: Array<{ name: string; bytes: Buffer }>): Promise<string[]> {
    let req = this.http.post(`/v1/collections/${collectionId}/items`).set(org.headers);
    for (const f of files) req = req.attach('file', f.bytes, { filename: f.name, contentType: 'application/octet-stream' });
    const res = await req.expect(202);
    return (res.body.items as Array<{ id: string }>).map((i) => i.id);
  }

  async item(org: TestOrg, id: string): Promise<ItemBody> {
    return (await this.http.get(`/v1/items/${id}`).set(org.headers).expect(200)).body as ItemBody;
  }

  async items(org: TestOrg, collectionId: string): Promise<ItemBody[]> {
    const res = await this.http.get(`/v1/collections/${collectionId}/items`).query({ limit: 100 }).set(org.headers).expect(200);
    return res.body.items as ItemBody[];
  }

  /** Waits until every item of the collection is in one of `statuses`. */
  async settle(org: TestOrg, collectionId: string, count: number, statuses: string[], timeoutMs = 30_000): Promise<ItemBody[]> {
    let last: ItemBody[] = [];
    try {
      return await eventually(
        async () => {
          last = await this.items(org, collectionId);
          return last.length === count && last.every((i) => statuses.includes(i.status)) ? last : undefined;
        },
        timeoutMs,
        `${count} items to be ${statuses.join(' or ')}`,
      );
    } catch (err) {
      const seen = last.map((i) => `${i.id.slice(-6)}:${i.status}${i.reasonCode ? `(${i.reasonCode})` : ''}`).join(' ');
      throw new Error(`${(err as Error).message}; last seen: ${seen}`);
    }
  }
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
  renditions: { master?: { url: string }; analysis?: { url: string }; thumbnail?: { url: string } };
  results: { pass1?: Record<string, unknown>; pass2?: Record<string, unknown>; disclaimer?: string };
}

export async function download(url: string): Promise<Buffer> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

export interface StatusEvent {
  itemId: string;
  status: string;
  reasonCode: string | null;
  collectionId: string;
}

/** Listens to `GET /v1/collections/{id}/events` (server-sent events) and keeps every event. */
export function listenToCollection(baseUrl: string, collectionId: string, headers: Record<string, string>) {
  return new Promise<{ events: StatusEvent[]; close(): void }>((resolve, reject) => {
    const req = httpGet(
      `${baseUrl}/v1/collections/${collectionId}/events`,
      { headers: { accept: 'text/event-stream', ...headers } },
      (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`the event stream answered ${res.statusCode}`));
          res.resume();
          return;
        }
        const events: StatusEvent[] = [];
        let pending = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          pending += chunk;
          for (let end = pending.indexOf('\n\n'); end >= 0; end = pending.indexOf('\n\n')) {
            const block = pending.slice(0, end);
            pending = pending.slice(end + 2);
            const data = block
              .split('\n')
              .filter((line) => line.startsWith('data:'))
              .map((line) => line.slice(5).trim())
              .join('\n');
            if (data) events.push(JSON.parse(data) as StatusEvent);
          }
        });
        res.on('error', () => undefined);
        // The stream opens with a comment once the subscription is in place.
        res.once('data', () => resolve({ events, close: () => req.destroy() }));
      },
    );
    req.on('error', reject);
  });
}
