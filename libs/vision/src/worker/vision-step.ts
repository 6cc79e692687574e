import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@sessionpix/config';
import type { ItemJob, ItemStatus } from '@sessionpix/contracts';
import { Analysis, type EntityManager, Item } from '@sessionpix/db';
import { DelayedError, type ItemQueue, ItemPipeline, type JobContext, type LoadedItem } from '@sessionpix/queue';
import { itemObjectKey, ObjectStore } from '@sessionpix/storage';
import { VisionCallError } from '../errors';
import { invokeVisionPass, type VisionCallSuccess } from '../invoke';
import { PROMPT_VERSION, SCHEMA_VERSION, type VisionPass } from '../passes';
import { buildConverseInput, type VisionContext, type VisionImage } from '../request';
import { BedrockProvider } from './bedrock.provider';
import { modelQuotaErrors, recordModelCall } from './model-calls';

/** What distinguishes the two passes; the rest of a step is the same. */
export interface PassDefinition {
  pass: VisionPass;
  /** Statuses this pass moves an item on from. */
  input: ItemStatus;
  output: ItemStatus;
  next?: ItemQueue;
  model(config: AppConfig): string;
  maxTokens: number;
  /** Images and equipment context for the request; never user, org or account data (P11). */
  request(em: EntityManager, item: Item, overview: VisionImage): Promise<{ images: VisionImage[]; context?: VisionContext; deviceCount?: number }>;
}

export const NOT_CONFIGURED = {
  status: 'paused' as const,
  reasonCode: 'vision_not_configured',
  reason: 'Analysis is waiting: the vision model is not configured yet. It resumes by itself.',
};

/** A duplicate waits this long for the first upload's analysis before looking again. */
const SOURCE_WAIT_MS = 2_000;
/** Answers that failed validation or were cut off get one more sample, then fail. */
const SAMPLES = 2;

/**
 * One vision pass over one item, with every outcome the pipeline promises: throttling pauses
 * the queue, 5xx and timeouts retry with the job's backoff, a malformed or truncated answer is
 * sampled once more, quota and validation errors fail the item with a reason. Each attempt
 * is a model_call row; the answer is an Analysis row written with the status change.
 */
@Injectable()
export class VisionStep {
  constructor(
    private readonly pipeline: ItemPipeline,
    private readonly store: ObjectStore,
    private readonly bedrock: BedrockProvider,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async run(def: PassDefinition, job: ItemJob, ctx: JobContext): Promise<string> {
    const loaded = await this.pipeline.load(job, [def.input, 'paused']);
    if (!loaded) return 'skipped: not this step’s work';
    const { em, item } = loaded;
    if (item.status === 'paused' && item.reasonCode !== NOT_CONFIGURED.reasonCode) return 'skipped: paused';
    // A paused item belongs to pass 2 only once pass 1 has answered.
    if (item.status === 'paused' && def.pass === 2 && !(await this.alreadyDone(em, item, 1))) return 'skipped: pass 1 first';
    if (await this.alreadyDone(em, item, def.pass)) {
      await this.pipeline.transition(loaded, { status: def.output }, def.next);
      return 'already analysed';
    }
    if (!(await this.bedrock.isConfigured()) || !this.bedrock.client) {
      if (item.status !== 'paused') await this.pipeline.transition(loaded, NOT_CONFIGURED);
      return 'paused: vision not configured';
    }
    if (item.sourceItem) {
      const reused = await this.reuseSource(loaded, def, ctx);
      if (reused) return reused;
    }
    return this.analyse(loaded, def, ctx);
  }

  private async alreadyDone(em: EntityManager, item: Item, pass: VisionPass): Promise<boolean> {
    return (await em.count(Analysis, { item: item.id, pass })) > 0;
  }

  /** The first upload of the same photo has (or will have) this pass: copy it, no model call. */
  private async reuseSource(loaded: LoadedItem, def: PassDefinition, ctx: JobContext): Promise<string | null> {
    const { em, item } = loaded;
    const sourceId = item.sourceItem!.id;
    const found = await em.findOne(Analysis, { item: sourceId, pass: def.pass });
    if (found) {
      em.create(Analysis, {
        org: item.org.id,
        item: item.id,
        pass: def.pass,
        schemaVersion: found.schemaVersion,
        model: found.model,
        promptVersion: found.promptVersion,
        output: found.output,
        sourceItem: sourceId,
      });
      await this.pipeline.transition(loaded, { status: def.output }, def.next);
      return `reused the analysis of ${sourceId}`;
    }
    const source = await em.findOne(Item, sourceId);
    if (!source || source.status === 'failed' || source.status === 'rejected') return null;
    await ctx.job.moveToDelayed(Date.now() + SOURCE_WAIT_MS, ctx.token);
    throw new DelayedError();
  }

  private async analyse(loaded: LoadedItem, def: PassDefinition, ctx: JobContext): Promise<string> {
    const { em, item } = loaded;
    const model = def.model(this.config);
    const bytes = await this.store.getObjectBuffer(itemObjectKey(item.org.id, item.id, 'analysis'), {
      maxBytes: 3_750_000,
    });
    const overview: VisionImage = { bytes, format: 'jpeg', label: 'Image 1 (overview)' };
    const request = await def.request(em, item, overview);
    const input = buildConverseInput({
      pass: def.pass,
      modelId: model,
      images: request.images,
      context: request.context,
      maxTokens: def.maxTokens,
    });

    let answer: VisionCallSuccess | null = null;
    for (let sample = 1; !answer; sample += 1) {
      try {
        answer = await invokeVisionPass(this.bedrock.client!, input, {
          timeoutMs: this.config.VISION_CALL_TIMEOUT_MS,
          signal: ctx.signal,
          deviceCount: request.deviceCount,
        });
        await recordModelCall(em, item, {
          pass: def.pass,
          model,
          outcome: 'ok',
          latencyMs: answer.latencyMs,
          usage: answer.usage,
        });
      } catch (err) {
        if (!(err instanceof VisionCallError)) throw err;
        await recordModelCall(em, item, {
          pass: def.pass,
          model,
          outcome: err.outcome,
          latencyMs: err.latencyMs,
          usage: err.usage,
          errorMessage: err.message,
        });
        const settled = await this.onError(loaded, def, err, sample, ctx);
        if (settled) return settled;
      }
    }
    em.create(Analysis, {
      org: item.org.id,
      item: item.id,
      pass: def.pass,
      schemaVersion: SCHEMA_VERSION[def.pass],
      model,
      promptVersion: PROMPT_VERSION[def.pass],
      output: answer.output as unknown as Record<string, unknown>,
    });
    await this.pipeline.transition(loaded, { status: def.output }, def.next);
    return `${def.output} by ${model}`;
  }

  /** Returns a summary when the item is settled; returns null to sample again; throws to retry. */
  private async onError(
    loaded: LoadedItem,
    def: PassDefinition,
    err: VisionCallError,
    sample: number,
    ctx: JobContext,
  ): Promise<string | null> {
    switch (err.kind) {
      case 'throttled':
        // Bedrock said slow down: hold the whole queue, the job keeps its attempts.
        throw await ctx.pauseQueue(this.config.VISION_THROTTLE_PAUSE_MS);
      case 'bad_output':
      case 'truncated':
        if (sample < SAMPLES) return null;
        await this.pipeline.fail(loaded, `model_${err.kind}`, err.reason, true);
        return `failed: ${err.kind}`;
      case 'quota':
        modelQuotaErrors.inc({ pass: String(def.pass) });
        await this.pipeline.fail(loaded, 'model_quota_exceeded', err.reason, true);
        return 'failed: quota';
      case 'invalid_request':
        await this.pipeline.fail(loaded, 'model_rejected_request', err.reason, false);
        return 'failed: invalid request';
      case 'transient':
        if (ctx.isFinalAttempt) {
          await this.pipeline.fail(loaded, 'model_unavailable', err.reason, true);
          return 'failed: model unavailable';
        }
        throw err;
    }
  }
}
