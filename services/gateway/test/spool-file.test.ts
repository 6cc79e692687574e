import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { SpoolFile } from '../src/items/upload/spool-file';

describe('SpoolFile: the local copy of a photo being received', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'spx-spool-test-'));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps every byte in order, whatever the chunk sizes, owner-readable only, and is gone once removed', async () => {
    const spool = SpoolFile.create(dir);
    const chunks: Buffer[] = [];
    // Socket-sized chunks, single bytes and chunks larger than a batch, mixed.
    for (const size of [1, 65_536, 3, 2_000_000, 1, 1, 70_000, ...Array.from({ length: 600 }, () => 7), 1_048_576, 12]) {
      const chunk = randomBytes(size);
      chunks.push(chunk);
      await spool.write(chunk);
    }
    await spool.close();
    expect((await buffer(spool.read())).equals(Buffer.concat(chunks))).toBe(true);
    expect(statSync(spool.path).mode & 0o777).toBe(0o600);
    await spool.remove();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('an empty photo is an empty file', async () => {
    const spool = SpoolFile.create(dir);
    await spool.close();
    expect((await buffer(spool.read())).length).toBe(0);
    await spool.remove();
  });

  it('reports a disk failure on a later write or on close, and leaves nothing behind', async () => {
    const spool = SpoolFile.create(join(dir, 'missing-folder'));
    const written = (async () => {
      for (let i = 0; i < 40; i++) await spool.write(randomBytes(65_536));
      await spool.close();
    })();
    await expect(written).rejects.toMatchObject({ code: 'ENOENT' });
    await spool.remove();
    expect(readdirSync(dir)).toEqual([]);
  });
});
