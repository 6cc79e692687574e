import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@sessionpix/config';
import type { ItemJob, ItemStatus } from '@sessionpix/contracts';
import { Analysis, type EntityManager, Item } from '@sessionpix/db';
import { DelayedError, type ItemQueue, ItemPipeline, type JobContext, type LoadedItem } from '@sessionpix/queue';
import { itemObjectKey, ObjectStore } from '@sessionpix/storage';
import { MAX_IMAGE_BYTES } from '../crops';
import { VisionCallError, type VisionUsage } from '../errors';
import { estimateRequest, quotaTokens } from '../estimate';
import { invokeVisionPass } from '../invoke';
import { PROMPT_VERSION, SCHEMA_VERSION, type PassOutput, type VisionPass } from '../passes';
import { buildConverseInput, type VisionContext, type VisionImage } from '../request';
import { BedrockProvider } from './bedrock.provider';
import { ModelLimiter } from './model-limiter';
import {
  modelQuotaErrors,
  recordModelCall,
  visionEscalations,
  visionLimiterWaits,
  visionResultCache,
} from './model-calls';
import { VisionPricing } from './pricing.provider';
import { inputDigest, VisionResultStore } from './result-cache';

/** What one pass sends for one item. */
export interface PassRequest {
  /**
   * The images, in request order. Still being fetched or cut when the request is handed over:
   * the result cache is asked meanwhile, and an answer from it needs none of them.
   */
  images: Promise<VisionImage[]>;
  context?: VisionContext;
  /** Pass 2: how many devices pass 1 found, to refuse answers naming others. */
  deviceCount?: number;
  /** The answer's token budget: as tight as the request allows. */
  maxTokens: number;
}

/** What distinguishes the two passes; the rest of a step is the same. */
export interface PassDefinition {
  pass: VisionPass;
  /** Statuses this pass moves an item on from. */
  input: ItemStatus;
  output: ItemStatus;
  next?: ItemQueue;
  /** The models to ask, in order: the first, then the ones an answer escalates to. */
  models(config: AppConfig): string[];
  /**
   * Why a valid answer from a model that is not the last should go to the next one (for
   * example low confidence), or null to keep it.
   */
  escalate?(output: PassOutput<VisionPass>, config: AppConfig): string | null;
  /**
   * Images and equipment context for the request; never user, org or account data (P11). The
   * overview is still being fetched when this is called, so what does not need it goes on meanwhile;
   * `answered` holds the item's stored answers of earlier passes.
   */
  request(em: EntityManager, item: Item, overview: Promise<VisionImage>, answered: ReadonlyMap<VisionPass, Analysis>): Promise<PassRequest>;
  /** Deterministic clean-up of a validated answer before it is stored (pass 1: serials). */
  finish?(output: PassOutput<VisionPass>): PassOutput<VisionPass>;
  /**
   * What is stored beside the answer (`analysis.details`): pass 1, the catalog entries its
   * devices match; pass 2, the labels of the images it was sent.
   */
  annotate?(em: EntityManager, output: PassOutput<VisionPass>, request: PassRequest): Promise<Record<string, unknown> | null>;
}

export const NOT_CONFIGURED = {
  status: 'paused' as const,
  reasonCode: 'vision_not_configured',
  reason: 'Analysis is waiting: the vision model is not configured yet. It resumes by itself.',
};

/** A duplicate waits this long for the first upload's analysis before looking again. */
const SOURCE_WAIT_MS = 2_000;
/** Answers that failed validation or were cut off get one more sample (the next model's, if any), then fail. */
const SAMPLES = 2;
/** A limiter wait up to this long is spent in place; a longer one puts the job back as delayed. */
const MAX_WAIT_IN_PLACE_MS = 1_000;

/** How asking one model for one answer ended. */
type Asked =
  | { kind: 'answer'; output: PassOutput<VisionPass> }
  | { kind: 'bad'; error: VisionCallError }
  | { kind: 'settled'; summary: string };

/**
 * One vision pass over one item, with every outcome the pipeline promises: throttling pauses
 * the queue, 5xx and timeouts retry with the job's backoff, a malformed or truncated answer is
 * sampled once more (by the escalation model when there is one), quota and validation errors
 * fail the item with a reason. An unsure answer goes to the escalation model. Each attempt is a
 * model_call row; answers already given for the same photo in the same org come from the result
 * cache without a call; every call first takes its share of the model's per-minute budget.
 */
@Injectable()
export class VisionStep {
  constructor(
    private readonly pipeline: ItemPipeline,
    private readonly store: ObjectStore,
    private readonly bedrock: BedrockProvider,
    private readonly limiter: ModelLimiter,
    private readonly results: VisionResultStore,
    private readonly pricing: VisionPricing,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async run(def: PassDefinition, job: ItemJob, ctx: JobContext): Promise<string> {
    const loaded = await this.pipeline.load(job, [def.input, 'paused']);
    if (!loaded) return 'skipped: not this step’s work';
    const { em, item } = loaded;
    if (item.status === 'paused' && item.reasonCode !== NOT_CONFIGURED.reasonCode) return 'skipped: paused';
    const answered = await this.answered(em, item);
    // A paused item belongs to pass 2 only once pass 1 has answered.
    if (item.status === 'paused' && def.pass === 2 && !answered.has(1)) return 'skipped: pass 1 first';
    if (answered.has(def.pass)) {
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
    return this.analyse(loaded, def, ctx, answered);
  }

  /** The item's stored answers by pass, in one read: whether a pass is done, and what pass 2 builds on. */
  private async answered(em: EntityManager, item: Item): Promise<Map<VisionPass, Analysis>> {
    const rows = await em.find(Analysis, { item: item.id });
    return new Map(rows.map((row) => [row.pass, row]));
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
        details: found.details ?? null,
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

  private async analyse(loaded: LoadedItem, def: PassDefinition, ctx: JobContext, answered: ReadonlyMap<VisionPass, Analysis>): Promise<string> {
    const { em, item } = loaded;
    const overview = this.store
      .getObjectBuffer(itemObjectKey(item.org.id, item.id, 'analysis'), { maxBytes: MAX_IMAGE_BYTES })
      .then((bytes): VisionImage => ({ bytes, format: 'jpeg', label: 'overview' }));
    // Both are awaited where they are needed; this only keeps a failure that nothing waits for
    // any more (the pass failed first, or the answer came from the cache) from going unhandled.
    overview.catch(() => undefined);
    const request = await def.request(em, item, overview, answered);
    request.images.catch(() => undefined);
    const models = [...new Set(def.models(this.config))];
    const digest = inputDigest(request.context);

    let fallback: { output: PassOutput<VisionPass>; model: string } | null = null;
    let badSamples = 0;
    for (let m = 0; ; ) {
      const model = models[m]!;
      const last = m === models.length - 1;
      const asked = await this.ask(loaded, def, model, request, digest, ctx);
      if (asked.kind === 'settled') return asked.summary;
      if (asked.kind === 'bad') {
        badSamples += 1;
        if (badSamples < SAMPLES) {
          if (!last) {
            visionEscalations.inc({ pass: String(def.pass), reason: asked.error.kind });
            m += 1;
          }
          continue;
        }
        // A valid but unsure answer beats none: keep it when the escalation could not do better.
        if (fallback) return this.commit(loaded, def, fallback.model, fallback.output, request);
        await this.pipeline.fail(loaded, `model_${asked.error.kind}`, asked.error.reason, true);
        return `failed: ${asked.error.kind}`;
      }
      const why = last ? null : (def.escalate?.(asked.output, this.config) ?? null);
      if (why) {
        visionEscalations.inc({ pass: String(def.pass), reason: why });
        fallback = { output: asked.output, model };
        m += 1;
        continue;
      }
      return this.commit(loaded, def, model, asked.output, request);
    }
  }

  /** The Analysis row and the status change, in one commit. */
  private async commit(
    loaded: LoadedItem,
    def: PassDefinition,
    model: string,
    output: PassOutput<VisionPass>,
    request: PassRequest,
  ): Promise<string> {
    const { em, item } = loaded;
    const details = def.annotate ? await def.annotate(em, output, request) : null;
    em.create(Analysis, {
      org: item.org.id,
      item: item.id,
      pass: def.pass,
      schemaVersion: SCHEMA_VERSION[def.pass],
      model,
      promptVersion: PROMPT_VERSION[def.pass],
      output: output as unknown as Record<string, unknown>,
      details,
    });
    await this.pipeline.transition(loaded, { status: def.output }, def.next);
    return `${def.output} by ${model}`;
  }

  /** One answer from one model: from the org's result cache, or from a call within the model's budget. */
  private async ask(
    loaded: LoadedItem,
    def: PassDefinition,
    model: string,
    request: PassRequest,
    digest: string,
    ctx: JobContext,
  ): Promise<Asked> {
    const { em, item } = loaded;
    const pass = String(def.pass);
    const key = item.sha256
      ? { imageSha256: item.sha256, pass: def.pass, promptVersion: PROMPT_VERSION[def.pass], model, inputSha256: digest }
      : null;
    if (key) {
      const cached = await this.results.find(em, key);
      visionResultCache.inc({ pass, outcome: cached ? 'hit' : 'miss' });
      if (cached) return { kind: 'answer', output: cached };
    }

    const input = buildConverseInput({
      pass: def.pass,
      modelId: model,
      images: await request.images,
      context: request.context,
      maxTokens: request.maxTokens,
    });
    const reserved = quotaTokens(estimateRequest(input));
    await this.waitForBudget(model, reserved, pass, ctx);
    try {
      const answer = await invokeVisionPass(this.bedrock.client!, input, {
        timeoutMs: this.config.VISION_CALL_TIMEOUT_MS,
        signal: ctx.signal,
        deviceCount: request.deviceCount,
      });
      const output = def.finish ? def.finish(answer.output) : answer.output;
      // Independent writes, side by side: none reads what another writes.
      await Promise.all([
        this.limiter.settle(model, reserved, tokensUsed(answer.usage)),
        recordModelCall(em, item, {
          pass: def.pass,
          model,
          outcome: 'ok',
          latencyMs: answer.latencyMs,
          usage: answer.usage,
          priceTable: this.pricing.table,
        }),
        key ? this.results.save(em, item, key, SCHEMA_VERSION[def.pass], output) : undefined,
      ]);
      return { kind: 'answer', output };
    } catch (err) {
      if (!(err instanceof VisionCallError)) throw err;
      await Promise.all([
        this.limiter.settle(model, reserved, tokensUsed(err.usage)),
        recordModelCall(em, item, {
          pass: def.pass,
          model,
          outcome: err.outcome,
          latencyMs: err.latencyMs,
          usage: err.usage,
          errorMessage: err.message,
          priceTable: this.pricing.table,
        }),
      ]);
      return this.onError(loaded, def, err, ctx);
    }
  }

  /** Takes the call's share of the model's per-minute budget, waiting in place or as a delayed job. */
  private async waitForBudget(model: string, tokens: number, pass: string, ctx: JobContext): Promise<void> {
    for (;;) {
      const wait = await this.limiter.acquire(model, tokens);
      if (wait === 0) return;
      if (wait > MAX_WAIT_IN_PLACE_MS) {
        visionLimiterWaits.inc({ pass, how: 'delayed' });
        await ctx.job.moveToDelayed(Date.now() + wait, ctx.token);
        throw new DelayedError();
      }
      visionLimiterWaits.inc({ pass, how: 'in_place' });
      await sleep(wait, undefined, { signal: ctx.signal });
    }
  }

  /** Settles the item for failures a new sample will not fix, hands back the ones it may, throws to retry. */
  private async onError(loaded: LoadedItem, def: PassDefinition, err: VisionCallError, ctx: JobContext): Promise<Asked> {
    switch (err.kind) {
      case 'throttled':
        // Bedrock said slow down: hold the whole queue, the job keeps its attempts.
        throw await ctx.pauseQueue(this.config.VISION_THROTTLE_PAUSE_MS);
      case 'bad_output':
      case 'truncated':
        return { kind: 'bad', error: err };
      case 'quota':
        modelQuotaErrors.inc({ pass: String(def.pass) });
        await this.pipeline.fail(loaded, 'model_quota_exceeded', err.reason, true);
        return { kind: 'settled', summary: 'failed: quota' };
      case 'invalid_request':
        await this.pipeline.fail(loaded, 'model_rejected_request', err.reason, false);
        return { kind: 'settled', summary: 'failed: invalid request' };
      case 'transient':
        if (ctx.isFinalAttempt) {
          await this.pipeline.fail(loaded, 'model_unavailable', err.reason, true);
          return { kind: 'settled', summary: 'failed: model unavailable' };
        }
        throw err;
    }
  }
}

function tokensUsed(usage: VisionUsage | null): number {
  return usage ? usage.inputTokens + usage.outputTokens + usage.cacheReadTokens + usage.cacheWriteTokens : 0;
}
