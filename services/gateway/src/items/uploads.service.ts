import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { HttpStatus, Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { LockMode } from '@mikro-orm/core';
import { APP_CONFIG, type AppConfig } from '@sessionpix/config';
import { Collection, type EntityManager, Item, PendingUpload, uuidv7 } from '@sessionpix/db';
import { ItemPipeline } from '@sessionpix/queue';
import { itemObjectKey, ObjectStore, PayloadTooLargeError, StorageError } from '@sessionpix/storage';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TenantContext } from '../auth/tenant';
import { CollectionsService } from '../collections/collections.service';
import { type FieldProblem, ProblemError } from '../http/problem';
import { boundaryOf, MultipartDataOffsets } from './upload/multipart-offsets';
import { type ReceivedPart, receivePart } from './upload/receive-part';
import { readerOf, RequestBodyError } from './upload/request-body-error';
import { SpoolFile } from './upload/spool-file';
import { StoringParts } from './upload/storing-parts';

/** Photos of one request on their way to S3 at once (each but the first has a local copy until stored). */
const MAX_PARTS_STORING = 3;
/** Older spool files cannot belong to a live request (the upload timeouts are far shorter). */
const STALE_SPOOL_MS = 6 * 60 * 60 * 1000;

/** A failure of the local disk the parts are copied to (full, gone, not writable). */
function isDiskError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && ['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EIO', 'ENOENT'].includes(code);
}

export interface AcceptedItem {
  id: string;
  status: Item['status'];
}

/** Names the photos a refused request stored anyway, so the client does not send them again. */
function acceptedSentence(accepted: AcceptedItem[]): string {
  return `${accepted.length} photo(s) of this request were accepted: ${accepted.map((a) => a.id).join(', ') || 'none'}`;
}

function megabytes(bytes: number): string {
  return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB`;
}

/**
 * Photos in: multipart parts streamed to S3 as they arrive (never held whole in memory), or a
 * presigned PUT completed later. Each photo becomes an `uploaded` item and an ingest job,
 * enqueued after the row is committed.
 */
@Injectable()
export class UploadsService implements OnModuleInit {
  private readonly spoolDir: string;
  private readonly log = new Logger(UploadsService.name);

  constructor(
    private readonly collections: CollectionsService,
    private readonly store: ObjectStore,
    private readonly pipeline: ItemPipeline,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.spoolDir = config.UPLOAD_SPOOL_DIR ?? tmpdir();
  }

  /** Refuses to start without a writable spool directory, and clears what a crashed process left there. */
  async onModuleInit(): Promise<void> {
    try {
      await access(this.spoolDir, constants.W_OK);
    } catch (err) {
      throw new Error(`UPLOAD_SPOOL_DIR: ${this.spoolDir} is not a writable directory (${(err as Error).message})`);
    }
    const removed = await SpoolFile.removeStale(this.spoolDir, STALE_SPOOL_MS);
    if (removed > 0) this.log.warn({ removed, dir: this.spoolDir }, 'removed upload copies left by a stopped process');
  }

  async acceptMultipart(
    t: TenantContext,
    collectionId: string,
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<AcceptedItem[]> {
    if (!request.isMultipart()) {
      throw new ProblemError(
        HttpStatus.UNSUPPORTED_MEDIA_TYPE,
        'unsupported_media_type',
        'send multipart/form-data with one or more parts named "file"',
      );
    }
    const declared = Number(request.headers['content-length'] ?? NaN);
    if (declared > this.config.UPLOAD_MAX_REQUEST_BYTES) {
      throw new ProblemError(
        HttpStatus.PAYLOAD_TOO_LARGE,
        'request_too_large',
        `a request may carry at most ${megabytes(this.config.UPLOAD_MAX_REQUEST_BYTES)}; send fewer photos per request`,
      );
    }
    // Checked while the first photo already streams in: no row is written before it passes, and a
    // photo stored for a refused request is removed again.
    const collectionCheck = this.collections.load(t.em, collectionId);
    collectionCheck.catch(() => undefined);
    const boundary = boundaryOf(request.headers['content-type']);
    // Attached before the parser pipes the request, so it sees every chunk first.
    const offsets = boundary && Number.isSafeInteger(declared) ? MultipartDataOffsets.observe(request.raw, boundary) : undefined;
    const storing = new StoringParts(MAX_PARTS_STORING, (item) => this.announceAndEnqueue(item));
    const tooLarge: FieldProblem[] = [];
    let requestBytes = 0;
    let partIndex = -1;
    let fileIndex = 0;
    let stoppedEarly = false;
    let failure: unknown;
    const parts = request.parts()[Symbol.asyncIterator]();
    const nextPart = readerOf(parts);
    try {
      for (let part = await nextPart(); part; part = await nextPart()) {
        partIndex += 1;
        if (part.type !== 'file') continue;
        fileIndex += 1;
        if (part.fieldname !== 'file') {
          part.file.resume();
          throw ProblemError.validation([{ field: part.fieldname, message: 'photos go in parts named "file"' }]);
        }
        const budget = Math.min(this.config.UPLOAD_MAX_FILE_BYTES, this.config.UPLOAD_MAX_REQUEST_BYTES - requestBytes);
        const itemId = uuidv7();
        const key = itemObjectKey(t.orgId, itemId, 'original');
        // The first photo can be no longer than the body after its start, less the shortest
        // closing: it streams to S3 in an object that long, zero-padded past its end. The others
        // go through a local copy, so no later offset is needed.
        const dataStart = fileIndex === 1 ? offsets?.dataStart(partIndex) : undefined;
        offsets?.stop();
        let received: ReceivedPart;
        try {
          received = await receivePart(this.store, part.file, {
            key,
            contentType: 'application/octet-stream',
            maxBytes: budget,
            lengthBound: dataStart === undefined ? undefined : declared - dataStart - offsets!.shortestClosingLength,
            spoolDir: this.spoolDir,
          });
        } catch (err) {
          if (!(err instanceof PayloadTooLargeError)) throw err;
          // Nothing was stored for this part, and the client is told which.
          part.file.resume();
          const overRequest = budget < this.config.UPLOAD_MAX_FILE_BYTES;
          tooLarge.push({
            field: `file[${fileIndex}]`,
            message: overRequest
              ? `${part.filename || 'this photo'} did not fit in the ${megabytes(this.config.UPLOAD_MAX_REQUEST_BYTES)} a request may carry`
              : `${part.filename || 'this photo'} is larger than ${megabytes(this.config.UPLOAD_MAX_FILE_BYTES)}`,
          });
          if (overRequest) {
            stoppedEarly = true;
            break;
          }
          continue;
        }
        requestBytes += received.bytes;
        // One INSERT of its own (no flush, no transaction around it), while the object's last
        // bytes are still on their way: the row either exists or it does not. It records the
        // photo's length, which is how much of the (possibly padded) object ingest reads.
        const item = t.em.create(
          Item,
          {
            id: itemId,
            org: t.orgId,
            collection: t.em.getReference(Collection, collectionId),
            originalFilename: part.filename ? part.filename.slice(0, 255) : null,
            byteSize: received.bytes,
          },
          { persist: false },
        );
        try {
          await collectionCheck;
          await t.em.insert(item);
        } catch (err) {
          await this.discard(key, received.stored);
          throw err;
        }
        await storing.add(item, received.stored);
      }
    } catch (err) {
      stoppedEarly = true;
      failure = err;
    } finally {
      if (stoppedEarly) await parts.return?.();
      // The rest of the body was left unread, so the connection cannot carry another request:
      // close it once the answer is sent, instead of reading (possibly endless) bytes to discard.
      if (stoppedEarly) void reply.header('connection', 'close');
    }

    const accepted: AcceptedItem[] = [];
    for (const outcome of await storing.settle()) {
      if (outcome.storeError !== undefined) {
        await this.removeRow(t, outcome.item);
        failure ??= outcome.storeError;
        continue;
      }
      failure ??= outcome.handOffError;
      accepted.push({ id: outcome.item.id, status: outcome.item.status });
    }
    if (failure !== undefined) throw this.requestFailure(failure, accepted, tooLarge);
    if (tooLarge.length > 0) {
      throw new ProblemError(
        HttpStatus.PAYLOAD_TOO_LARGE,
        'file_too_large',
        `${tooLarge.length} photo(s) were too large and were not stored. ${acceptedSentence(accepted)}`,
        tooLarge,
      );
    }
    if (accepted.length === 0) {
      await collectionCheck; // another org's collection is a 404 even when the body had no photo
      throw ProblemError.validation([{ field: 'file', message: 'send at least one part named "file"' }]);
    }
    return accepted;
  }

  /** The row of a photo that was not stored (it was never announced or enqueued). */
  private async removeRow(t: TenantContext, item: Item): Promise<void> {
    await t.em.nativeDelete(Item, { id: item.id });
  }

  /** Removes a photo stored for a request that is being refused. */
  private async discard(key: string, stored: Promise<void>): Promise<void> {
    await stored.catch(() => undefined);
    await this.store.deleteObject(key).catch(() => undefined);
  }

  /** What a request that failed part-way answers, naming the photos it stored anyway. */
  private requestFailure(err: unknown, accepted: AcceptedItem[], tooLarge: FieldProblem[]): unknown {
    // The parser stops at the per-request file count; what came before it is stored already.
    if ((err as { code?: string }).code === 'FST_FILES_LIMIT') {
      return new ProblemError(
        HttpStatus.PAYLOAD_TOO_LARGE,
        'too_many_files',
        `a request may carry at most ${this.config.UPLOAD_MAX_FILES_PER_REQUEST} photos; send the rest in another request. ${acceptedSentence(accepted)}`,
        tooLarge.length > 0 ? tooLarge : undefined,
      );
    }
    if (err instanceof RequestBodyError) {
      return new ProblemError(HttpStatus.BAD_REQUEST, 'malformed_body', `${err.message}. ${acceptedSentence(accepted)}`);
    }
    if (err instanceof StorageError || isDiskError(err)) {
      return new ProblemError(
        HttpStatus.SERVICE_UNAVAILABLE,
        'storage_unavailable',
        `photos could not be stored just now; try again shortly. ${acceptedSentence(accepted)}`,
      );
    }
    return err;
  }

  async presign(
    t: TenantContext,
    collectionId: string,
    body: { contentType: string; contentLength: number; filename?: string },
  ) {
    if (body.contentLength > this.config.UPLOAD_MAX_FILE_BYTES) {
      throw new ProblemError(HttpStatus.PAYLOAD_TOO_LARGE, 'file_too_large', 'the photo is too large', [
        { field: 'contentLength', message: `at most ${this.config.UPLOAD_MAX_FILE_BYTES} bytes` },
      ]);
    }
    const collection = await this.collections.load(t.em, collectionId);
    const ttl = this.config.PRESIGNED_UPLOAD_TTL_SECONDS;
    const upload = t.em.create(PendingUpload, {
      org: t.orgId,
      collection,
      itemId: uuidv7(),
      contentType: body.contentType,
      contentLength: body.contentLength,
      filename: body.filename ?? null,
      expiresAt: new Date(Date.now() + ttl * 1000),
    });
    await t.em.flush();
    const signed = await this.store.presignPut(itemObjectKey(t.orgId, upload.itemId, 'original'), {
      expiresInSeconds: ttl,
      contentType: body.contentType,
      contentLength: body.contentLength,
    });
    return {
      uploadId: upload.id,
      itemId: upload.itemId,
      url: signed.url,
      method: signed.method,
      headers: signed.headers,
      expiresAt: signed.expiresAt.toISOString(),
    };
  }

  /** Idempotent: completing twice answers with the same item. */
  async complete(t: TenantContext, uploadId: string): Promise<AcceptedItem> {
    const upload = await t.em.findOne(PendingUpload, { id: uploadId });
    if (!upload) throw ProblemError.notFound('the upload');
    if (upload.completedAt) {
      const item = await this.existingItem(t.em, upload.itemId);
      return { id: item.id, status: item.status };
    }
    const key = itemObjectKey(t.orgId, upload.itemId, 'original');
    const head = await this.store.headObject(key);
    if (!head) {
      if (upload.expiresAt.getTime() < Date.now()) {
        throw new ProblemError(HttpStatus.GONE, 'upload_expired', 'the upload URL expired before the photo arrived; ask for a new one');
      }
      throw new ProblemError(HttpStatus.CONFLICT, 'upload_missing', 'the photo has not arrived yet: PUT it to the upload URL first');
    }
    if (head.contentLength > upload.contentLength) {
      await this.store.deleteObject(key);
      throw new ProblemError(HttpStatus.PAYLOAD_TOO_LARGE, 'file_too_large', 'the stored photo is larger than announced');
    }
    // Two completes at once (a client retrying after a timeout): the row lock makes the second
    // wait for the first to commit, and it then answers with the item the first created.
    const item = await t.em.transactional(async (tx) => {
      const locked = await tx.findOneOrFail(
        PendingUpload,
        { id: upload.id },
        { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true },
      );
      if (locked.completedAt) return null;
      locked.completedAt = new Date();
      return tx.create(Item, {
        id: locked.itemId,
        org: t.orgId,
        collection: locked.collection,
        originalFilename: locked.filename ?? null,
      });
    });
    if (!item) {
      const existing = await this.existingItem(t.em, upload.itemId);
      return { id: existing.id, status: existing.status };
    }
    await this.announceAndEnqueue(item);
    return { id: item.id, status: item.status };
  }

  /**
   * A new item is a transition too (→ uploaded): listeners hear of it before ingest can move it
   * on, so the event stream shows every status in order.
   */
  private async announceAndEnqueue(item: Item): Promise<void> {
    await this.pipeline.announce(item);
    await this.pipeline.enqueue('ingest', item);
  }

  private async existingItem(em: EntityManager, id: string): Promise<Item> {
    const item = await em.findOne(Item, { id });
    if (!item) throw ProblemError.notFound('the item');
    return item;
  }
}
