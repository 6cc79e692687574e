import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';

const PREFIX = 'spx-upload-';
const SPOOL_BUFFER_BYTES = 1024 * 1024;

/**
 * A photo's bytes on local disk while it is being received: the copy an upload falls back to
 * when it cannot go to S3 as it arrives, so nothing the client sent is ever lost or held in memory.
 * Owner-only permissions; removed as soon as the object is stored.
 */
export class SpoolFile {
  private failure: Error | undefined;

  private constructor(readonly path: string, private readonly out: WriteStream) {
    // Recorded, not thrown: a disk error surfaces on the next write or on close.
    out.on('error', (err) => (this.failure ??= err));
  }

  static create(dir: string): SpoolFile {
    const path = join(dir, `${PREFIX}${randomUUID()}`);
    // A deeper buffer than fs' 16 KiB default: the receiving loop waits for the disk only when
    // it falls a whole megabyte behind, not on every socket-sized chunk.
    return new SpoolFile(path, createWriteStream(path, { flags: 'wx', mode: 0o600, highWaterMark: SPOOL_BUFFER_BYTES }));
  }

  async write(chunk: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    if (!this.out.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.out.off('drain', done);
          this.out.off('error', done);
          resolve();
        };
        this.out.on('drain', done).on('error', done);
      });
      if (this.failure) throw this.failure;
    }
  }

  async close(): Promise<void> {
    this.out.end();
    await finished(this.out).catch(() => undefined);
    if (this.failure) throw this.failure;
  }

  read(): Readable {
    return createReadStream(this.path, { highWaterMark: 256 * 1024 });
  }

  async remove(): Promise<void> {
    this.out.destroy();
    await rm(this.path, { force: true });
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
