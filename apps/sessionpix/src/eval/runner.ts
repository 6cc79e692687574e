import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@sessionpix/config';
import { Analysis, emForOrg, Item, MikroORM } from '@sessionpix/db';
import { ingestService } from '@sessionpix/ingest';
import { JobProducer } from '@sessionpix/queue';
import { startProcess } from '@sessionpix/runtime';
import { ObjectStore, orgPrefix } from '@sessionpix/storage';
import { createTestDatabase, startS3Standin } from '@sessionpix/testing';
import { buildRecallSheet, createBedrockClient } from '@sessionpix/vision';
import { visionPass1Service } from '@sessionpix/vision-pass-1';
import { visionPass2Service } from '@sessionpix/vision-pass-2';
import { deleteQueueKeys } from '../bench/env';
import { createOrgWithCollection, enqueueIngest, stageUpload } from '../bench/staging';
import { loadLabelledPhotos } from './labels';
import { type EvalSummary, type PhotoScore, scorePhoto, summarize } from './scorer';

/**
 * Runs both vision passes over a folder of labelled photos with the real pipeline (ingest,
 * pass 1, pass 2: the same code, prompts, crops, catalog and escalation as production) in this
 * process, then scores the recall sheets. Everything it stages is temporary: a database on the
 * local PostgreSQL server, a Redis key prefix, and the photos under a throwaway org's prefix.
 */

export class EvalSetupError extends Error {
  override name = 'EvalSetupError';
}

export interface EvalOptions {
  dir: string;
  /** The environment of the pipeline under evaluation: region, credentials chain, bucket, models, limits. */
  env: NodeJS.ProcessEnv;
  log?: (line: string) => void;
  /** How long the whole set may take to settle (default 20 minutes). */
  timeoutMs?: number;
}

export interface EvalReport {
  bedrock: string;
  models: { pass1: string; escalation: string; pass2: string };
  scores: PhotoScore[];
  summary: EvalSummary;
  /** What the run cost, from the model_call rows (integer micro-USD). */
  costMicroUsd: number;
  modelCalls: number;
}

const SERVICES = [ingestService, visionPass1Service, visionPass2Service];
const SETTLED = ['analyzed', 'failed', 'rejected'];

async function assertCredentials(region: string): Promise<void> {
  const client = createBedrockClient({ region });
  try {
    let timer: NodeJS.Timeout | undefined;
    const found = await Promise.race([
      client.config.credentials().then((c) => Boolean(c.accessKeyId)),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), 5_000);
      }),
    ])
      .catch(() => false)
      .finally(() => clearTimeout(timer));
    if (!found) throw new EvalSetupError('no AWS credentials found (environment, profile or instance role): Bedrock cannot be called');
  } finally {
    client.destroy();
  }
}

export async function runEvaluation(opts: EvalOptions): Promise<EvalReport> {
  const log = opts.log ?? (() => undefined);
  const photos = loadLabelledPhotos(opts.dir);
  const env: NodeJS.ProcessEnv = { ...opts.env };
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  try {
    const standin = Boolean(env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME);
    env.AWS_REGION ??= standin ? 'us-east-1' : undefined;
    if (!env.AWS_REGION) {
      throw new EvalSetupError(
        'eval:vision calls Bedrock: set AWS_REGION, AWS credentials and S3_BUCKET (the photos are staged there and deleted afterwards), ' +
          'or AWS_ENDPOINT_URL_BEDROCK_RUNTIME to run against a Converse stand-in',
      );
    }
    if (!standin) {
      if (!env.S3_BUCKET) throw new EvalSetupError('S3_BUCKET is required against real Bedrock: name a bucket the photos may be staged in (they are deleted afterwards)');
      await assertCredentials(env.AWS_REGION);
    }
    if (!env.S3_BUCKET) {
      // A stand-in run: a local S3 stand-in whose key the SDK's default chain will find.
      const dataDir = mkdtempSync(join(tmpdir(), 'spx-eval-s3-'));
      const s3 = await startS3Standin({ dataDir, bucket: 'sessionpix-eval' });
      cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }), () => s3.close());
      Object.assign(env, { S3_BUCKET: s3.bucket, AWS_ENDPOINT_URL_S3: s3.endpoint, S3_FORCE_PATH_STYLE: 'true' });
      process.env.AWS_ACCESS_KEY_ID = s3.credentials.accessKeyId;
      process.env.AWS_SECRET_ACCESS_KEY = s3.credentials.secretAccessKey;
    }

    const db = await createTestDatabase('eval');
    cleanups.push(() => db.drop());
    const prefix = `eval${randomBytes(5).toString('hex')}`;
    cleanups.push(() => deleteQueueKeys(prefix));
    const config = loadConfig({
      ...env,
      NODE_ENV: env.NODE_ENV === 'production' ? 'production' : 'development',
      LOG_LEVEL: env.LOG_LEVEL ?? 'warn',
      SESSIONPIX_SERVICES: SERVICES.map((s) => s.name).join(','),
      DATABASE_URL: db.url,
      QUEUE_PREFIX: prefix,
      PORT: '0',
      OPS_PORT: '0',
      VISION_ENABLED: 'true',
    });
    log(`bedrock: ${standin ? env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME : `AWS ${config.AWS_REGION}`}; pass 1 ${config.VISION_PASS1_MODEL} (escalation ${config.VISION_PASS1_ESCALATION_MODEL}), pass 2 ${config.VISION_PASS2_MODEL}`);
    const proc = await startProcess({ config, available: SERVICES, handleSignals: false });
    cleanups.push(() => proc.close());
    const orm = proc.app.get<MikroORM>(MikroORM);
    const store = proc.app.get(ObjectStore);
    const where = await createOrgWithCollection(orm, 'sessionpix evaluation');
    cleanups.push(() => store.deletePrefix(orgPrefix(where.orgId)));

    const items = new Map<string, string>();
    for (const photo of photos) {
      const itemId = await stageUpload(orm, store, where, readFileSync(photo.photoPath), photo.name);
      await enqueueIngest(proc.app.get(JobProducer), where.orgId, itemId);
      items.set(photo.name, itemId);
    }
    log(`${photos.length} photo(s) staged; waiting for both passes`);

    const em = () => emForOrg(orm, where.orgId);
    const deadline = Date.now() + (opts.timeoutMs ?? 20 * 60_000);
    let rows: Item[] = [];
    for (;;) {
      rows = await em().find(Item, { id: { $in: [...items.values()] } });
      if (rows.every((r) => SETTLED.includes(r.status))) break;
      if (Date.now() > deadline) throw new Error(`the evaluation did not settle in time: ${rows.map((r) => r.status).join(', ')}`);
      await new Promise((r) => setTimeout(r, 250));
    }

    const analyses = await em().find(Analysis, { item: { $in: [...items.values()] } });
    const scores = photos.map((photo) => {
      const item = rows.find((r) => r.id === items.get(photo.name))!;
      const mine = analyses.filter((a) => a.item.id === item.id);
      const pass = (n: 1 | 2) => mine.find((a) => a.pass === n);
      const stored = (a: Analysis) => ({ schemaVersion: a.schemaVersion, model: a.model, promptVersion: a.promptVersion, output: a.output, details: a.details ?? null });
      const sheet = item.status === 'analyzed' && pass(1) && pass(2) ? buildRecallSheet(item.id, stored(pass(1)!), stored(pass(2)!)) : null;
      return scorePhoto(photo.name, photo.label, sheet, item.status, item.reason ?? null);
    });
    const [spend] = await em()
      .getConnection()
      .execute<Array<{ cost: string | null; calls: string }>>(
        'select sum("cost_micro_usd") as "cost", count(*) as "calls" from "model_call" where "org_id" = ?',
        [where.orgId],
      );
    return {
      bedrock: standin ? `stand-in at ${env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME}` : `Bedrock in ${config.AWS_REGION}`,
      models: { pass1: config.VISION_PASS1_MODEL, escalation: config.VISION_PASS1_ESCALATION_MODEL, pass2: config.VISION_PASS2_MODEL },
      scores,
      summary: summarize(scores),
      costMicroUsd: Number(spend?.cost ?? 0),
      modelCalls: Number(spend?.calls ?? 0),
    };
  } finally {
    for (const cleanup of cleanups.reverse()) {
      await Promise.resolve()
        .then(cleanup)
        .catch((err: unknown) => log(`clean-up failed: ${String(err)}`));
    }
  }
}
