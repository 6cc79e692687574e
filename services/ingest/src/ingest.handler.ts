import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@sessionpix/config';
import type { ItemJob } from '@sessionpix/contracts';
import { type EntityManager, Item } from '@sessionpix/db';
import { DelayedError, type JobContext, JobHandler, ItemPipeline, type LoadedItem } from '@sessionpix/queue';
import { itemObjectKey, itemPrefix, ObjectNotFoundError, ObjectStore, PayloadTooLargeError } from '@sessionpix/storage';
import sharp from 'sharp';
import { ImageRejectedError, type ProcessedImage } from './image';
import { HeapSlack } from './heap-slack';
import { ImagePool } from './image-pool.provider';
import { PlanLimits } from './plan-limit';
import { RENDITION_KINDS, RENDITION_TYPES } from './renditions';

/** How long a duplicate waits for the first upload of the same photo to be ingested. */
const DUPLICATE_WAIT_MS = 2_000;

/**
 * Ingest: the raw upload becomes a master and its half-size copy, an analysis rendition and a
 * thumbnail, all upright and metadata-free; the raw upload is deleted; pass 1 is enqueued. Each step can be
 * repeated after a crash: renditions are overwritten, the raw upload is deleted before the
 * row says `ingested`, and a missing raw upload with renditions present resumes.
 */
@Injectable()
export class IngestHandler {
  private readonly heap = new HeapSlack();

  constructor(
    private readonly pipeline: ItemPipeline,
    private readonly store: ObjectStore,
    private readonly images: ImagePool,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly limits: PlanLimits,
  ) {}

  @JobHandler('ingest')
  async handle(job: ItemJob, ctx: JobContext): Promise<string> {
    const loaded = await this.pipeline.load(job, ['uploaded']);
    if (!loaded) return 'skipped: not this step’s work';
    try {
      return await this.ingest(loaded, ctx);
    } catch (err) {
      if (err instanceof DelayedError) throw err;
      if (err instanceof ImageRejectedError) {
        await this.reject(loaded, err.reasonCode, err.reason);
        return `rejected: ${err.reasonCode}`;
      }
      if (ctx.isFinalAttempt) {
        await this.pipeline.fail(
          loaded,
          'ingest_failed',
          'The photo could not be processed because of a problem on our side. Retrying may help.',
          true,
        );
      }
      throw err;
    } finally {
      this.heap.jobDone();
    }
  }

  private async ingest(loaded: LoadedItem, ctx: JobContext): Promise<string> {
    const { em, item } = loaded;
    const orgId = item.org.id;
    // The upload is in memory from its download until the image thread has taken it.
    const read = await this.images.withSlot(async () => {
      const original = await this.readOriginal(orgId, item.id, item.byteSize ?? undefined);
      if (typeof original === 'string') return original;
      item.byteSize ??= original.length;
      item.sha256 ??= createHash('sha256').update(original).digest('hex');
      await em.flush();
      const source = await this.earlierCopy(em, item);
      if (source) return { kind: 'duplicate' as const, source };
      // The plan's photo quota: a duplicate above reuses results and is not counted; a photo over
      // the quota is not decoded. The count itself is one atomic statement, after decoding (a file
      // that cannot be read is rejected for that and does not count) and before anything is stored.
      const exhausted = await this.limits.exhausted(em, orgId, item.id);
      if (exhausted) return { kind: 'over_quota' as const, period: exhausted };
      return { kind: 'processed' as const, processed: await this.images.pool.run(original, { transferInput: true }) };
    });
    if (read === 'missing') return this.resume(loaded);
    if (read === 'too_large') {
      await this.reject(loaded, 'file_too_large', 'The file is larger than the upload limit allows.');
      return 'rejected: file_too_large';
    }
    if (read.kind === 'duplicate') return this.reuse(loaded, read.source, ctx);
    if (read.kind === 'over_quota') return this.overQuota(loaded, read.period);
    const processed = read.processed;
    const over = await this.limits.charge(em, orgId, item.id);
    if (over) return this.overQuota(loaded, over);
    await this.writeRenditions(orgId, item.id, processed);
    await this.store.deleteObject(itemObjectKey(orgId, item.id, 'original'));
    if (await this.deletedMeanwhile(loaded)) return 'skipped: deleted while it was ingested';
    item.width = processed.masterWidth;
    item.height = processed.masterHeight;
    item.contentType = processed.sourceType;
    await this.pipeline.transition(loaded, { status: 'ingested' }, 'vision-pass-1');
    return `ingested ${processed.masterWidth}×${processed.masterHeight} from ${processed.sourceType}`;
  }

  /** The raw upload; `byteSize`, when the gateway recorded it, is how much of the object is the photo. */
  private async readOriginal(orgId: string, itemId: string, byteSize: number | undefined): Promise<Buffer | 'missing' | 'too_large'> {
    try {
      return await this.store.getObjectBuffer(itemObjectKey(orgId, itemId, 'original'), {
        maxBytes: this.config.UPLOAD_MAX_FILE_BYTES,
        firstBytes: byteSize || undefined,
      });
    } catch (err) {
      if (err instanceof ObjectNotFoundError) return 'missing';
      if (err instanceof PayloadTooLargeError) return 'too_large';
      throw err;
    }
  }

  /** No raw upload: either a crash came after it was deleted (renditions exist) or it never arrived. */
  private async resume(loaded: LoadedItem): Promise<string> {
    const { item } = loaded;
    const master = await this.store.headObject(itemObjectKey(item.org.id, item.id, 'master'));
    if (!master) {
      await this.reject(loaded, 'upload_missing', 'The photo never finished uploading. Please upload it again.');
      return 'rejected: upload_missing';
    }
    if (!item.width || !item.height) {
      const bytes = await this.store.getObjectBuffer(master.key, { maxBytes: this.config.UPLOAD_MAX_FILE_BYTES });
      const meta = await sharp(bytes).metadata();
      item.width = meta.width ?? null;
      item.height = meta.height ?? null;
    }
    await this.pipeline.transition(loaded, { status: 'ingested' }, 'vision-pass-1');
    return 'ingested: resumed after the raw upload was already removed';
  }

  /**
   * The org's earliest other upload of the same bytes. A copy that is past ingest counts
   * whatever its id: a direct upload's id is fixed when it is presigned, so ids need not follow
   * arrival order. A copy still `uploaded` counts only when its id is earlier, so of two
   * simultaneous duplicates the first always proceeds and the second waits for it (never both).
   */
  private async earlierCopy(em: EntityManager, item: Item): Promise<Item | null> {
    return em.findOne(
      Item,
      {
        sha256: item.sha256,
        id: { $ne: item.id },
        status: { $ne: 'failed' },
        $or: [{ id: { $lt: item.id } }, { status: { $ne: 'uploaded' } }],
      },
      { orderBy: { id: 'asc' } },
    );
  }

  /** A duplicate photo: take the first upload's renditions and outcome instead of redoing them. */
  private async reuse(loaded: LoadedItem, source: Item, ctx: JobContext): Promise<string> {
    const { item } = loaded;
    const orgId = item.org.id;
    if (source.status === 'uploaded') {
      await ctx.job.moveToDelayed(Date.now() + DUPLICATE_WAIT_MS, ctx.token);
      throw new DelayedError();
    }
    item.sourceItem = loaded.em.getReference(Item, source.id, { wrapped: true });
    if (source.status === 'rejected') {
      await this.reject(loaded, source.reasonCode ?? 'duplicate_of_rejected', source.reason ?? 'The same photo was rejected before.');
      return `rejected like ${source.id}`;
    }
    for (const kind of RENDITION_KINDS) {
      await this.store.copyObject(itemObjectKey(orgId, source.id, kind), itemObjectKey(orgId, item.id, kind)).catch((err: unknown) => {
        // A photo ingested before half-size masters existed has none; pass 2 then reads the master.
        if (!(kind === 'masterHalf' && err instanceof ObjectNotFoundError)) throw err;
      });
    }
    await this.store.deleteObject(itemObjectKey(orgId, item.id, 'original'));
    if (await this.deletedMeanwhile(loaded)) return 'skipped: deleted while it was ingested';
    item.width = source.width;
    item.height = source.height;
    item.contentType = source.contentType;
    await this.pipeline.transition(loaded, { status: 'ingested' }, 'vision-pass-1');
    return `ingested as a duplicate of ${source.id}`;
  }

  /**
   * A DELETE can land while ingest works, and its purge only removes what was stored when it
   * ran. Checked after the writes: if the row is tombstoned or already purged by then, this run
   * removes what it stored itself, so no object outlives a deleted item.
   */
  private async deletedMeanwhile(loaded: LoadedItem): Promise<boolean> {
    const { em, item } = loaded;
    if ((await em.count(Item, { id: item.id })) > 0) return false;
    await this.store.deletePrefix(itemPrefix(item.org.id, item.id));
    return true;
  }

  private async writeRenditions(orgId: string, itemId: string, processed: ProcessedImage): Promise<void> {
    const bodies = { master: processed.master, masterHalf: processed.masterHalf, analysis: processed.analysis, thumbnail: processed.thumbnail };
    await Promise.all(
      RENDITION_KINDS.map((kind) =>
        this.store.putObject(itemObjectKey(orgId, itemId, kind), bodies[kind], { contentType: RENDITION_TYPES[kind] }),
      ),
    );
  }

  /** Over the plan's quota: nothing of the upload is kept, the item says why, the owners are told. */
  private async overQuota(loaded: LoadedItem, period: Parameters<PlanLimits['reject']>[1]): Promise<string> {
    const { item } = loaded;
    await this.store.deleteObject(itemObjectKey(item.org.id, item.id, 'original'));
    await this.limits.reject(loaded, period);
    return 'rejected: plan_limit';
  }

  /** An unusable upload: nothing of it is kept, and the user is told why. */
  private async reject(loaded: LoadedItem, reasonCode: string, reason: string): Promise<void> {
    const { item } = loaded;
    await this.store.deleteObject(itemObjectKey(item.org.id, item.id, 'original'));
    await this.pipeline.transition(loaded, { status: 'rejected', reasonCode, reason, retryable: false });
  }
}
