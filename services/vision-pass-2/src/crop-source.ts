import type { Logger } from '@nestjs/common';
import { itemObjectKey, ObjectNotFoundError, type ObjectStore } from '@sessionpix/storage';
import { halfMasterSuffices, type Pass1Device, type PixelSize, readPixelSize } from '@sessionpix/vision';

/** The largest master the worker reads (ingest caps the long edge at 4096 px). */
const MASTER_MAX_BYTES = 64 * 1024 * 1024;

/** What the crops are cut from: the master or its half-size copy, and that image's size. */
export interface CropSource {
  bytes: Buffer;
  size: PixelSize;
}

export interface CropSourceItem {
  orgId: string;
  itemId: string;
  /** The master's size, as ingest recorded it. */
  master: PixelSize;
}

/**
 * Reads what pass 2 cuts the crops of these devices from: the half-size master when no crop
 * needs more detail (an eighth of the bytes to fetch and a quarter of the pixels to decode),
 * else the master. A photo ingested before half-size masters were written falls back to the
 * master; null when there is no master at all (pass 2 then reads the overview only).
 */
export async function readCropSource(
  store: ObjectStore,
  item: CropSourceItem,
  devices: readonly Pick<Pass1Device, 'bbox'>[],
  log?: Pick<Logger, 'warn'>,
): Promise<CropSource | null> {
  const read = async (kind: 'master' | 'masterHalf') => {
    try {
      return await store.getObjectBuffer(itemObjectKey(item.orgId, item.itemId, kind), { maxBytes: MASTER_MAX_BYTES });
    } catch (err) {
      if (err instanceof ObjectNotFoundError) return null;
      throw err;
    }
  };
  if (halfMasterSuffices(devices, item.master)) {
    const half = await read('masterHalf');
    const size = half && readPixelSize(half);
    if (half && size) return { bytes: half, size };
  }
  const master = await read('master');
  if (master) return { bytes: master, size: item.master };
  log?.warn(`item ${item.itemId} has no master: pass 2 reads the overview only`);
  return null;
}
