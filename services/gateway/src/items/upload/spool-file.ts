import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type FileHandle, open, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

const PREFIX = 'spx-upload-';
/**
 * Chunks are gathered into one vectored write of about this size: a socket-sized write each
 * (64 KiB) would cost a thread-pool round trip per chunk, most of the copy's CPU.
 */
const BATCH_BYTES = 1024 * 1024;
/** A batch also goes once it holds this many chunks (a trickling client's tiny ones). */
const BATCH_CHUNKS = 256;

/**
 * A photo's bytes on local disk while it is being received: the copy an upload falls back to
 * when it cannot go to S3 as it arrives, so nothing the client sent is ever lost or held in memory.
 * One batch is on its way to the disk while the next gathers, so at most about two batches are
 * held. Owner-only permissions; removed as soon as the object is stored.
 */
export class SpoolFile {
  private failure: Error | undefined;
  private batch: Buffer[] = [];
  private batchBytes = 0;
  /** The batch being written; settles without throwing (a failure is recorded). */
  private writing: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(readonly path: string, private readonly file: Promise<FileHandle>) {
    // Recorded, not thrown: a disk error surfaces on the next write or on close.
    file.catch((err: Error) => (this.failure ??= err));
  }

  static create(dir: string): SpoolFile {
    const path = join(dir, `${PREFIX}${randomUUID()}`);
    return new SpoolFile(path, open(path, 'wx', 0o600));
  }

  /** Takes the chunk (it must not change afterwards); waits only when a whole batch is still being written. */
  async write(chunk: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    this.batch.push(chunk);
    this.batchBytes += chunk.length;
    if (this.batchBytes < BATCH_BYTES && this.batch.length < BATCH_CHUNKS) return;
    await this.writing;
    if (this.failure) throw this.failure;
    this.startBatch();
  }

  /** Writes what is left and closes the file; throws the first disk error, if any. */
  async close(): Promise<void> {
    await this.writing;
    if (!this.failure && this.batch.length > 0) this.startBatch();
    await this.writing;
    await this.closeFile();
    if (this.failure) throw this.failure;
  }

  read(): Readable {
    return createReadStream(this.path, { highWaterMark: 256 * 1024 });
  }

  async remove(): Promise<void> {
    await this.writing;
    await this.closeFile();
    await rm(this.path, { force: true });
  }

  private startBatch(): void {
    const buffers = this.batch;
    this.batch = [];
    this.batchBytes = 0;
    this.writing = this.file
      .then((file) => writeAll(file, buffers))
      .catch((err: Error) => void (this.failure ??= err));
  }

  private async closeFile(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const file = await this.file.catch(() => undefined);
    await file?.close().catch((err: Error) => void (this.failure ??= err));
  }

  /**
   * Removes spool files older than `maxAgeMs` that a process which died mid-upload left behind.
   * Age-based, so the live files of another process sharing the directory are left alone.
   */
  static async removeStale(dir: string, maxAgeMs: number, now = Date.now()): Promise<number> {
    let removed = 0;
    for (const name of await readdir(dir)) {
      if (!name.startsWith(PREFIX)) continue;
      const path = join(dir, name);
      const info = await stat(path).catch(() => undefined);
      if (info && now - info.mtimeMs > maxAgeMs) {
        await rm(path, { force: true });
        removed += 1;
      }
    }
    return removed;
  }
}

/** One vectored write, continued should the kernel take fewer bytes than given. */
async function writeAll(file: FileHandle, buffers: Buffer[]): Promise<void> {
  let rest = buffers;
  for (;;) {
    const total = rest.reduce((n, b) => n + b.length, 0);
    if (total === 0) return;
    const { bytesWritten } = await file.writev(rest);
    if (bytesWritten >= total) return;
    let skip = bytesWritten;
    const left: Buffer[] = [];
    for (const b of rest) {
      if (skip >= b.length) {
        skip -= b.length;
        continue;
      }
      left.push(skip > 0 ? b.subarray(skip) : b);
      skip = 0;
    }
    rest = left;
  }
}
